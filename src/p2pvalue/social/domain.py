"""Social (profiles, follows, the feed, messages, notifications) as the node registers it."""

from p2pvalue.domain import Domain
from p2pvalue.social import Social

DOMAIN = Domain(
    name="social",
    types=frozenset({"post.create"}),
    service=Social,
    build=Social,
    routes=("p2pvalue.web.social_api", "p2pvalue.web.social_pages", "p2pvalue.web.message_api"),
    committed=Social.committed,
)
