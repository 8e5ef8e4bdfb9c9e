"""Answers that show what a client renders: a request for code, a table or a list gets one.

Deterministic like the rest of the fake model: the same prompt always gets the same reply. The
content comes from a few small templates, picked by words in the prompt ("python", "tea", "mode");
anything else gets a generic one built from the prompt's own words.
"""

from __future__ import annotations

import re
from typing import TypeVar

T = TypeVar("T")

_WANTS_CODE = re.compile(
    r"\b(?:write|show|give|make|create|need)\b[^.?!\n]{0,50}\b(?:code|function|script|snippet|program|"
    r"one-liner|class|query)\b|\bcode (?:for|to|that)\b|\bin (?:python|bash|shell|javascript|sql|rust|go)\b",
    re.I,
)
_WANTS_TABLE = re.compile(r"\btable\b|\bcompar(?:e|ison)\b", re.I)
_WANTS_LIST = re.compile(r"\b(?:list|steps|checklist|bullet points?)\b|\bhow (?:do|can|should) i\b", re.I)

_STOP = set(
    """a an and are as at be by can could do for from give how i in into is it list make me my
of on or please show so some steps table tell than that the then these this to use what when where
which with write would you your code function script snippet program create need""".split()
)

LANGUAGES = (  # (fence label, words that ask for it)
    ("python", ("python", "py")),
    ("sh", ("bash", "shell", "sh", "zsh", "one-liner")),
    ("javascript", ("javascript", "js", "node")),
    ("sql", ("sql", "query", "sqlite", "postgres")),
    ("rust", ("rust",)),
    ("go", ("go", "golang")),
)

CODE = {
    "python": '''def word_counts(text: str) -> dict[str, int]:
    """Count each word in `text`, most frequent first."""
    counts: dict[str, int] = {}
    for word in text.lower().split():
        word = word.strip(".,;:!?\\"'()")
        if word:
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return dict(ranked)


print(word_counts("the cat and the hat"))
# {'the': 2, 'cat': 1, 'and': 1, 'hat': 1}''',
    "sh": """# count the lines of every .py file below here, biggest last
find . -name '*.py' -print0 | xargs -0 wc -l | sort -n | tail -5""",
    "javascript": """function wordCounts(text) {
  const counts = new Map();
  for (const word of text.toLowerCase().match(/[\\w']+/g) ?? []) {
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

console.log(wordCounts("the cat and the hat"));""",
    "sql": """SELECT title, COUNT(*) AS messages, MAX(created_at) AS last_message
FROM conversations
JOIN messages ON messages.conversation_id = conversations.id
GROUP BY conversations.id
ORDER BY last_message DESC
LIMIT 10;""",
    "rust": """use std::collections::HashMap;

fn word_counts(text: &str) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_lowercase()).or_default() += 1;
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    sorted
}""",
    "go": """func wordCounts(text string) map[string]int {
\tcounts := make(map[string]int)
\tfor _, word := range strings.Fields(strings.ToLower(text)) {
\t\tcounts[word]++
\t}
\treturn counts
}""",
}

TABLES = {  # a word in the prompt -> (lead-in, Markdown table)
    "tea": (
        "Brewing temperatures and times for the usual teas:",
        """\
| Tea | Water | Steep | Notes |
|---|---|---|---|
| Green | 75-80 °C | 2-3 min | boiling water makes it bitter |
| White | 80-85 °C | 4-5 min | delicate; a second steep works well |
| Oolong | 85-95 °C | 3-5 min | rolled leaves open over several steeps |
| Black | 95-100 °C | 3-5 min | the only one that wants boiling water |""",
    ),
    "mode": (
        "How termchat keeps a chat's context, by state mode:",
        """\
| Mode | Each turn sends | Kept locally | Needs |
|---|---|---|---|
| `conversation` | the conversation id + the new message | id, title, transcript cache | Conversations API |
| `chain` | `previous_response_id` + the new message | last response id, transcript cache | stored responses |
| `local` | the whole history | the transcript (source of truth) | any Responses server |""",
    ),
}

LISTS = {
    "tea": (
        "To brew a good cup of green tea:",
        [
            "Heat the water to about **80 °C** (let boiled water rest for two minutes).",
            "Use one teaspoon of leaves per cup.",
            "Steep for **2-3 minutes**, then take the leaves out.",
            "Steep the same leaves again: the second cup is often the best.",
        ],
    ),
}


def _topic_words(prompt: str) -> list[str]:
    words = re.findall(r"[A-Za-z][\w'-]*", prompt)
    seen: dict[str, None] = {}
    for word in words:
        if word.lower() not in _STOP and len(word) > 2:
            seen.setdefault(word, None)
    return list(seen)


def _language(prompt: str) -> str:
    words = set(re.findall(r"[\w-]+", prompt.lower()))
    for label, asks in LANGUAGES:
        if words & set(asks):
            return label
    return "python"


def _keyed(table: dict[str, T], prompt: str) -> T | None:
    words = set(re.findall(r"\w+", prompt.lower()))
    for key, value in table.items():
        if key in words or key + "s" in words:
            return value
    return None


def code_reply(prompt: str) -> str:
    language = _language(prompt)
    return (
        f"Here is a small, self-contained example in {language if language != 'sh' else 'the shell'}:\n\n"
        f"```{language}\n{CODE[language]}\n```\n\n"
        "It has no dependencies; paste it into a file and run it. Ask for changes and I "
        "will adjust it."
    )


def table_reply(prompt: str) -> str:
    keyed = _keyed(TABLES, prompt)
    if keyed:
        lead, table = keyed
        return f"{lead}\n\n{table}\n"
    words = _topic_words(prompt)[:4] or ["termchat"]
    rows = "\n".join(
        f"| {word} | {len(word)} | {sum(c in 'aeiouAEIOU' for c in word)} | {word[::-1]} |" for word in words
    )
    return (
        "A table needs data; from your own words, then:\n\n"
        f"| Word | Letters | Vowels | Backwards |\n|---|---:|---:|---|\n{rows}\n"
    )


def list_reply(prompt: str) -> str:
    keyed = _keyed(LISTS, prompt)
    if keyed:
        lead, steps = keyed
    else:
        topic = " ".join(_topic_words(prompt)[:4]) or "it"
        lead = f"Steps for *{topic}*:"
        steps = [
            f"Write down what *{topic}* should achieve, in one sentence.",
            "Try the smallest version that could work.",
            "Check the result against that sentence.",
            "Repeat with the next piece.",
        ]
    return lead + "\n\n" + "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)) + "\n"


def showcase_reply(prompt: str) -> str | None:
    """A reply with code, a table or a list when the prompt asks for one, else None."""
    if _WANTS_CODE.search(prompt):
        return code_reply(prompt)
    if _WANTS_TABLE.search(prompt):
        return table_reply(prompt)
    if _WANTS_LIST.search(prompt):
        return list_reply(prompt)
    return None
