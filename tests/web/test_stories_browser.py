"""Bible stories in a real browser: the list filtered by testament, age, book and words; a story
whose narration plays while its illustrations change at their times and the word being read is
highlighted, from the transcript's word timings."""

from __future__ import annotations

import io
import secrets
from typing import Any

import pytest
from PIL import Image

from tests.web.conftest import SENTENCES, Site, axe, speech
from tests.web.test_browser import MEDIA

# The second picture comes in while the narration (about twelve seconds) is still playing.
SECOND_PICTURE_AT = 5.0


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), colour).save(out, format="PNG")
    return out.getvalue()


def _story(site: Site, sentences: list[str], **fields: Any) -> dict[str, Any]:
    """A story written, its narration read by espeak-ng, processed for real and published."""
    made = site.api("creator", "POST", "/bible-stories", json=fields)
    assert made.status_code == 201, made.text
    story = made.json()
    narration = story["narration"]["id"]
    audio = speech(site.media / f"{secrets.token_hex(4)}.wav", sentences)
    sent = site.api("creator", "PUT", f"/content/{narration}/source", content=audio.read_bytes())
    assert sent.status_code == 202, sent.text
    site.wait_for(narration, lambda c: c["status"] == "ready" and any(
        a["kind"] == "captions" for a in c["assets"]
    ))  # fmt: skip
    published = site.api("creator", "POST", f"/content/{narration}/publish", json={})
    assert published.status_code == 200, published.text
    return story  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def stories(site: Site) -> dict[str, str]:
    noah = _story(
        site, SENTENCES, title="Noah and the Ark", scripture=["Gen 6:9-22"], age_min=3, age_max=8,
        summary="God keeps Noah, his family and the animals safe.",
        # What the narrator reads (the fake transcriber hears exactly these words).
        text=f"{SENTENCES[0]} {SENTENCES[1]}\n\n{SENTENCES[2]} {SENTENCES[3]}",
    )  # fmt: skip
    for at, colour, alt in [
        (0.0, (30, 90, 160), "Noah builds a great wooden boat"),
        (SECOND_PICTURE_AT, (200, 160, 40), "A rainbow over the ark"),
    ]:
        drawn = site.api(
            "creator", "POST", f"/bible-stories/{noah['id']}/illustrations",
            params={"at": at, "alt": alt}, content=_png(colour),
        )  # fmt: skip
        assert drawn.status_code == 201, drawn.text
    sheep = _story(
        site, ["Love your neighbour as yourself."], title="The Lost Sheep",
        scripture=["Luke 15:1-7"], age_min=5, age_max=10, text="A shepherd looks for one sheep.",
    )  # fmt: skip
    return {"noah": noah["id"], "sheep": sheep["id"]}


def _found(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".story-card-title").all_inner_texts()]


def test_children_find_stories_by_testament_age_book_and_words(
    site: Site, stories: dict[str, str], page: Any
) -> None:
    page.goto(f"{site.base}/")
    page.get_by_role("link", name="Stories").click()
    assert sorted(_found(page)) == ["Noah and the Ark", "The Lost Sheep"]
    axe(page)

    page.get_by_label("Testament").select_option(label="New Testament")
    page.get_by_role("button", name="Find stories").click()
    assert _found(page) == ["The Lost Sheep"]

    page.get_by_label("Testament").select_option(label="Both")
    page.get_by_label("Age").select_option("4")
    page.get_by_role("button", name="Find stories").click()
    assert _found(page) == ["Noah and the Ark"]
    # Its card shows its first picture, WebP where the browser takes it.
    card = page.locator(".story-card", has_text="Noah and the Ark")
    assert card.locator("source[type='image/webp']").get_attribute("srcset").count(" 480w") == 1
    assert card.locator("img").get_attribute("alt") == "Noah builds a great wooden boat"
    axe(page)

    page.goto(f"{site.base}/stories?book=Luke")
    assert _found(page) == ["The Lost Sheep"]
    page.get_by_label("Search stories").fill("noah")
    page.get_by_label("Book of the Bible").fill("")
    page.get_by_role("button", name="Find stories").click()
    assert _found(page) == ["Noah and the Ark"]

    page.goto(f"{site.base}/stories?book=Hezekiah")
    assert "is not a book of the Bible" in page.locator(".problem").inner_text()
    axe(page)


def _shown_pictures(page: Any) -> list[str]:
    return page.locator(".illustration:not([hidden]) img").evaluate_all(
        "(images) => images.map((image) => image.alt)"
    )  # type: ignore[no-any-return]


def test_a_storys_pictures_change_at_their_times_and_the_words_read_are_highlighted(
    site: Site, stories: dict[str, str], page: Any
) -> None:
    page.goto(f"{site.base}/stories/{stories['noah']}")
    axe(page)
    assert page.locator(".story-text").get_attribute("data-reading") == "word"
    # The story's own text, each word timed by the transcript.
    words = page.locator(".story-text [data-start]")
    assert words.count() == sum(len(s.split()) for s in SENTENCES)
    assert page.locator(".story-text p").count() == 2
    assert _shown_pictures(page) == ["Noah builds a great wooden boat"]
    assert page.locator(".story-text .reading").count() == 0

    # The big button a child presses (the player's own controls are there too).
    page.get_by_role("button", name="Play the story").click()
    page.wait_for_function(f"() => {MEDIA}.currentTime > 1", timeout=30_000)
    assert page.get_by_role("button", name="Pause the story").is_visible()
    first_read = _paused_on_the_word_being_read(page)
    assert _shown_pictures(page) == ["Noah builds a great wooden boat"]

    page.evaluate(f"() => {MEDIA}.play()")
    page.wait_for_function(f"() => {MEDIA}.currentTime > {SECOND_PICTURE_AT + 0.5}", timeout=30_000)
    later_read = _paused_on_the_word_being_read(page)
    assert _shown_pictures(page) == ["A rainbow over the ark"]
    assert later_read > first_read
    axe(page)

    # Back to the start: the first picture again.
    page.evaluate(f"() => {{ {MEDIA}.currentTime = 0.5; }}")
    page.wait_for_function(
        "() => !document.querySelector('.illustration[data-at=\"0.0\"]').hidden", timeout=10_000
    )
    assert _shown_pictures(page) == ["Noah builds a great wooden boat"]


# The word the page should mark at the media's time: the last one begun by then.
LAST_BEGUN = f"""() => {{
    const t = {MEDIA}.currentTime + 0.05;  // the page marks a word a frame or so early
    const begun = [...document.querySelectorAll('.story-text [data-start]')]
        .filter((word) => parseFloat(word.dataset.start) <= t);
    const marked = document.querySelectorAll('.story-text .reading');
    return marked.length === 1 && marked[0] === begun.at(-1);
}}"""


def _paused_on_the_word_being_read(page: Any) -> float:
    """Paused, the highlight settles on the word begun last (and on it alone); its start."""
    page.evaluate(f"() => {MEDIA}.pause()")
    page.wait_for_function(LAST_BEGUN, timeout=10_000)
    return float(page.locator(".story-text .reading").get_attribute("data-start"))
