"""Social (profiles, follows, the feed, messages, notifications) as the node registers it."""

from p2pvalue.domain import Domain
from p2pvalue.social import Social

DOMAIN = Domain(
    name="social",
    types=frozenset({"post.create"}),
    service=Social,
    build=Social,
    api=(
        "p2pvalue.web.social.api",
        "p2pvalue.web.social.messages",
    ),
    pages=(
        "p2pvalue.web.social.pages",
        "p2pvalue.web.social.message_pages",
        "p2pvalue.web.social.notifications",
    ),
    committed=Social.committed,
    rebuild=Social.rebuild,
)
