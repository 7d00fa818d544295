"""The paths written into notices and e-mails (moderation/links.py) are the pages that serve them."""
from marketplace.moderation import links


def test_notice_links_resolve_to_the_right_pages(app):
    adapter = app.url_map.bind("localhost")
    expected = {
        links.CONDUCT: "moderation.conduct", links.conduct_version(2): "moderation.conduct_version",
        links.MY_APPEALS: "moderation.my_appeals", links.ADMIN_APPEALS: "moderation.admin_appeals",
        links.sanction(3): "moderation.sanction_detail", links.block(3): "moderation.block_detail",
        links.appeal(3): "moderation.appeal_detail", links.file_appeal("sanction", 3): "moderation.file_appeal",
        links.admin_appeal(3): "moderation.admin_appeal", links.admin_person(3): "moderation.admin_history",
        "/standing": "accounts.standing",
    }
    for path, endpoint in expected.items():
        assert adapter.match(path)[0] == endpoint, path
