"""The library assistant in a text run: a scripted fake OpenAI chat server plays the model, the
tools run for real against the test database, and the room's chat is a recording fake."""

from __future__ import annotations

import asyncio

from agent.recovery import APOLOGIES
from agent.spoken import NO_SUCH_SERMON, NOTHING_FOUND
from tests.agent.conftest import Library, RecordingRoom, agent_settings, converse
from tests.fakes.openai_chat_server import Failure, FakeOpenAIChat, Reply, ToolCall

TOOLS = {"search_sermons", "sermon_details", "send_link", "next_services"}


def _output(result) -> str:  # type: ignore[no-untyped-def]
    return result.expect.next_event().is_function_call_output().event().item.output


def _reply(result) -> str:  # type: ignore[no-untyped-def]
    return result.expect.next_event().is_message(role="assistant").event().item.text_content


def test_a_question_is_answered_from_what_the_search_found(library: Library) -> None:
    fake = FakeOpenAIChat(
        ToolCall("search_sermons", {"query": "still waters"}),
        Reply("Here is what I found. {tool}"),
    )
    with fake:
        [result] = asyncio.run(converse(fake.url, ["Is there a sermon about still waters?"]))
    result.expect.next_event().is_function_call(
        name="search_sermons", arguments={"query": "still waters"}
    )
    found = _output(result)
    reply = _reply(result)
    result.expect.no_more_events()
    assert found.startswith("Found 1 sermon:")
    assert '"The Good Shepherd" by James Carter, Sunday, May 4, 2025' in found
    assert ", on Psalms 23:1-6, in the series Psalms for Life" in found
    assert f"[id {library.shepherd}]" in found
    assert 'It says about 13 minutes in: "' in found
    assert "He leads me beside still waters" in found
    assert "The Good Shepherd" in reply and "still waters" in reply
    # The model saw the tool's words, and was offered exactly the four tools.
    assert fake.tool_outputs() == [found]
    assert {t["function"]["name"] for t in fake.requests[0].json["tools"]} == TOOLS
    system = fake.requests[0].json["messages"][0]
    assert system["role"] in ("system", "developer")
    assert "Never invent a sermon" in system["content"]
    assert "Today is Thursday, February 26, 2026" in system["content"]


def test_filters_narrow_the_search_to_a_speaker_and_a_season(library: Library) -> None:
    arguments = {
        "query": "forgiveness",
        "speaker": "Pastor James",
        "since": "2025-03-01",
        "until": "2025-05-31",
    }
    with FakeOpenAIChat(ToolCall("search_sermons", arguments), Reply("{tool}")) as fake:
        [result] = asyncio.run(
            converse(fake.url, ["What did Pastor James preach about forgiveness last spring?"])
        )
    result.expect.next_event().is_function_call(name="search_sermons", arguments=arguments)
    found = _output(result)
    assert found.startswith("Found 1 sermon:")
    assert '"Forgiven Much" by James Carter, Sunday, April 13, 2025' in found
    assert "Seventy Times Seven" not in found  # Ruth Okafor's, in September


def test_no_matching_sermon_is_said_plainly(library: Library) -> None:
    fake = FakeOpenAIChat(
        ToolCall("search_sermons", {"query": "tithing"}),
        Reply("{tool} Shall I look for something else?"),
    )
    with fake:
        [result] = asyncio.run(converse(fake.url, ["Any sermons on tithing?"]))
    result.expect.next_event().is_function_call(name="search_sermons")
    assert _output(result) == NOTHING_FOUND
    assert _reply(result).startswith(NOTHING_FOUND)
    result.expect.no_more_events()


def test_an_unknown_speaker_is_named_in_the_answer(library: Library) -> None:
    call = ToolCall("search_sermons", {"query": "", "speaker": "Bishop Nobody"})
    with FakeOpenAIChat(call, Reply("{tool}")) as fake:
        [result] = asyncio.run(converse(fake.url, ["Sermons by Bishop Nobody?"]))
    result.expect.next_event().is_function_call(name="search_sermons")
    assert _output(result) == "Nothing found: no sermons by 'Bishop Nobody' in the library."


def test_private_unlisted_and_unpublished_sermons_never_surface(
    library: Library, room: RecordingRoom
) -> None:
    turns = [
        ToolCall("search_sermons", {"query": "still waters"}),
        Reply("{tool}"),
        ToolCall("search_sermons", {"query": "", "scripture": "Psalm 23"}),
        Reply("{tool}"),
    ]
    for hidden in library.hidden:
        turns += [ToolCall("sermon_details", {"sermon_id": hidden}), Reply("{tool}")]
        turns += [ToolCall("send_link", {"sermon_id": hidden}), Reply("{tool}")]
    questions = ["Still waters?", "Psalm 23?"] + ["Details?", "Send it?"] * len(library.hidden)
    with FakeOpenAIChat(*turns) as fake:
        results = asyncio.run(converse(fake.url, questions, room=room))
    outputs = []
    for result in results:
        result.expect.next_event().is_function_call()
        outputs.append(_output(result))
    by_text, by_scripture, *by_id = outputs
    for found in (by_text, by_scripture):
        assert found.startswith("Found 1 sermon:") and library.shepherd in found
        assert "Still Waters (" not in found
        assert not any(hidden in found for hidden in library.hidden)
    assert by_id == [NO_SUCH_SERMON] * (2 * len(library.hidden))
    assert room.local_participant.sent == []


def test_sermon_details_give_the_public_playback_link(library: Library) -> None:
    call = ToolCall("sermon_details", {"sermon_id": library.shepherd})
    with FakeOpenAIChat(call, Reply("{tool}")) as fake:
        [result] = asyncio.run(converse(fake.url, ["Tell me more about that one"]))
    result.expect.next_event().is_function_call(
        name="sermon_details", arguments={"sermon_id": library.shepherd}
    )
    details = _output(result)
    link = f"http://testserver.local/cdn/media/{library.shepherd}/g1/audio.mp3"
    assert details == (
        '"The Good Shepherd" by James Carter, preached Sunday, May 4, 2025, on Psalms 23:1-6, '
        "in the series Psalms for Life; 31 minutes long. "
        f"Playback link (offer to send it to the chat): {link}"
    )


def test_send_link_publishes_the_link_into_the_room_chat(
    library: Library, room: RecordingRoom
) -> None:
    call = ToolCall("send_link", {"sermon_id": library.shepherd})
    with FakeOpenAIChat(call, Reply("Done. {tool}")) as fake:
        [result] = asyncio.run(converse(fake.url, ["Send me the sermon on Psalm 23"], room=room))
    result.expect.next_event().is_function_call(name="send_link")
    assert _output(result) == 'Sent the link to "The Good Shepherd" to the chat.'
    assert _reply(result) == 'Done. Sent the link to "The Good Shepherd" to the chat.'
    link = f"http://testserver.local/cdn/media/{library.shepherd}/g1/audio.mp3"
    assert room.local_participant.sent == [
        ("lk.chat", f"The Good Shepherd (James Carter, Sunday, May 4, 2025): {link}")
    ]


def test_next_services_are_listed_soonest_first_in_local_time(services: None) -> None:
    settings = agent_settings(agent_timezone="America/Chicago")
    with FakeOpenAIChat(ToolCall("next_services", {}), Reply("{tool}")) as fake:
        [result] = asyncio.run(converse(fake.url, ["When is the next service?"], settings=settings))
    result.expect.next_event().is_function_call(name="next_services")
    # Private, unlisted, past and ended services are not mentioned.
    assert _output(result) == (
        "- Lent Vigil: Thursday, February 26 at 7 PM\n- Sunday Worship: Sunday, March 1 at 10:30 AM"
    )


def test_an_llm_that_keeps_failing_gets_an_apology_not_silence(library: Library) -> None:
    fake = FakeOpenAIChat(Failure(500, persist=True))

    def recover(turn: int) -> None:
        fake.turns[:] = [Reply("I'm back. How can I help?")]

    with fake:
        failed, recovered = asyncio.run(
            converse(fake.url, ["Hello?", "Hello again?"], apologize=True, between=recover)
        )
    assert _reply(failed) == APOLOGIES["llm_error"]
    failed.expect.no_more_events()
    assert len(fake.requests) == 4  # the first try and 2 retries failed, then the recovery
    # The session lived on: the next question was answered.
    assert _reply(recovered) == "I'm back. How can I help?"
