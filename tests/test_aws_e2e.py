"""The whole AWS flow through the CLI, against the published backend emulated on moto."""

from __future__ import annotations

import json
import stat

from PIL import Image, ImageDraw
from pypdf import PdfReader

from docscan.backends.aws.auth import session_path
from tests.support.clients import client
from tests.support.cognito import BUCKET, PASSWORD
from tests.support.fixtures import *  # noqa: F403

AWS = ("--profile", "aws")


def make_image(path, fmt: str, size=(600, 800)):
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((40, 40), path.stem, fill="black")
    image.save(path, fmt)
    return path


def test_signup_login_upload_wait_text_pdf_delete(published, cli, tmp_path):
    texts = {
        ("taxes-2026", 1): ["Invoice 2026", "Total 42.00"],
        ("taxes-2026", 2): ["Receipt"],
        ("taxes-2026", 3): ["Bank statement", "March"],
    }
    published.backend.ocr = texts
    cli(
        *AWS,
        "signup",
        "--username",
        "alice",
        "--email",
        "alice@example.com",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    cli(*AWS, "confirm", "123456")
    result = cli(*AWS, "login", "--password-stdin", input=PASSWORD + "\n")
    assert "alice" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr

    cache = session_path("aws")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    who = json.loads(cli(*AWS, "--json", "whoami").stdout)
    assert who["username"] == "alice"
    assert "token" not in json.dumps(who).lower().replace("session_expires", "")

    cli(*AWS, "project", "create", "taxes-2026")
    listed = json.loads(cli(*AWS, "--json", "project", "list").stdout)
    assert [(p["name"], p["current"]) for p in listed] == [("taxes-2026", True)]

    files = [
        make_image(tmp_path / "one.png", "PNG"),
        make_image(tmp_path / "two.jpg", "JPEG"),
        make_image(tmp_path / "three.tiff", "TIFF"),
    ]
    out = json.loads(cli(*AWS, "--json", "upload", *map(str, files), "--wait").stdout)
    assert out["pages"] == [1, 2, 3]
    assert [p["status"] for p in out["processed"]] == ["done"] * 3

    identity_id = json.loads(cache.read_text())["identity_id"]
    s3 = client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    prefix = f"private/{identity_id}/alice/taxes-2026/"
    assert keys == [f"{prefix}{n}.png" for n in (1, 2, 3)]
    head = s3.head_object(Bucket=BUCKET, Key=keys[0])
    assert head["ContentType"] == "image/png"

    items = published.backend.pages.scan()["Items"]
    assert sorted((i["project"], int(i["page"]), i["text"]) for i in items) == [
        ("alice/taxes-2026", 1, "Invoice 2026\nTotal 42.00\n"),
        ("alice/taxes-2026", 2, "Receipt\n"),
        ("alice/taxes-2026", 3, "Bank statement\nMarch\n"),
    ]

    text = cli(*AWS, "text").stdout
    assert text.split("\f") == [
        "Invoice 2026\nTotal 42.00\n",
        "Receipt\n",
        "Bank statement\nMarch\n",
    ]

    pdf = tmp_path / "out.pdf"
    cli(*AWS, "pdf", str(pdf))
    assert len(PdfReader(pdf).pages) == 3

    cli(*AWS, "project", "delete", "taxes-2026", "--yes")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert published.backend.pages.scan()["Items"] == []
    assert json.loads(cli(*AWS, "--json", "project", "list").stdout) == []

    cli(*AWS, "logout")
    assert not cache.exists() or "refresh_token" not in cache.read_text()
    cli(*AWS, "whoami", code=6)
