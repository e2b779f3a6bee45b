// Tell the server the browser's time zone once (a `tz` cookie), so that pages show times
// in it; pages stay correct without this script, in UTC or the zone picked with ?tz=.
(function () {
  if (document.cookie.split("; ").some(function (c) { return c.indexOf("tz=") === 0; })) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || sessionStorage.getItem("tz-sent")) return;
  sessionStorage.setItem("tz-sent", "1");
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=strict";
  if (zone !== "UTC") location.reload();
})();
