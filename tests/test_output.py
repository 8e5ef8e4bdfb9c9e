"""`termchat.output`: the one `termchat: …` line writer and the stdout writers."""

import io

from termchat import events as ev
from termchat.output import JsonWriter, PlainWriter, say


def test_say_writes_one_prefixed_line_with_control_sequences_stripped(capsys):
    say("deleted tc_1")
    say("the server says \x1b]52;c;Zm9v\x07hi\x1b[2J", level="error")
    say("stdin was odd", level="note")
    assert capsys.readouterr().err == (
        "termchat: deleted tc_1\ntermchat: error: the server says hi\ntermchat: note: stdin was odd\n"
    )


def test_say_to_a_closed_stream_is_quiet():
    stream = io.StringIO()
    stream.close()
    say("nobody is listening", stream=stream)  # no exception: the command's outcome stands


def test_plain_writer_streams_text_and_puts_notes_on_stderr():
    out, err = io.StringIO(), io.StringIO()
    writer = PlainWriter(out, err)
    writer.handle(ev.Notice("imported"))
    writer.handle(ev.TextDelta("Hel"))
    writer.handle(ev.TextDelta("lo\x1b[2J"))
    writer.handle(ev.Finished("conv_1", "resp_1", "incomplete", "Hello", None, "max_output_tokens"))
    assert out.getvalue() == "Hello\n"
    assert err.getvalue() == ("termchat: note: imported\ntermchat: note: the reply is incomplete (max_output_tokens)\n")


def test_json_writer_names_each_event_by_its_type():
    out = io.StringIO()
    writer = JsonWriter(out)
    writer.handle(ev.TextDelta("hi"))
    writer.write({"type": "job", "id": "resp_1"})
    assert out.getvalue() == '{"type": "text_delta", "text": "hi"}\n{"type": "job", "id": "resp_1"}\n'
