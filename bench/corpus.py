"""Benchmark corpora, generated on the spot: realistic plans varied from those in plans/
(some given a syntax error on purpose), and single plans with many lines of one kind."""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_NAMES = ["Ana", "Ben", "Chidi", "Dana", "Eun", "Farah", "Gus", "Hana", "Ivo", "Jia",
               "Kofi", "Lena", "Maya", "Nils", "Omar", "Priya", "Rosa", "Sami", "Tove", "Zoë"]


@lru_cache(maxsize=1)
def bundled_plan_files() -> tuple[Path, ...]:
    return tuple(sorted((ROOT / "plans").glob("*.iptplan")))


def bundled_plans() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in bundled_plan_files()]


def template_of(index: int) -> int:
    """Which bundled plan (its place in `bundled_plan_files()`) corpus plan `index` varies."""
    return index % len(bundled_plan_files())


def is_broken(index: int, broken_every: int) -> bool:
    """Whether `write_corpus(..., broken_every)` gave plan `index` a syntax error."""
    return broken_every > 0 and index % broken_every == 0


def write_corpus(folder: Path, count: int, seed: int = 7, broken_every: int = 0) -> list[Path]:
    """`count` plan files, each a bundled plan with its own client, title, dates and text.
    With `broken_every` N, one plan in N (`is_broken`) also has a real syntax error, the
    others being the same plans as without it."""
    rng = random.Random(seed)
    templates = bundled_plans()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        text = templates[template_of(index)]
        name = rng.choice(FIRST_NAMES)
        lines = []
        for line in text.split("\n"):
            stripped = line.strip()
            if stripped.startswith("plan "):
                line = f'plan "{name} {index}: {stripped[6:-1]}"'
            elif stripped.startswith("client "):
                line = f"  client C-{index:05d}"
            elif stripped.startswith("goal "):
                line = line[:-1] + f' ({rng.choice(FIRST_NAMES)})"'
            lines.append(line)
        if is_broken(index, broken_every):
            lines = broken(lines, index // broken_every)
        path = folder / f"plan-{index:05d}.iptplan"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def broken(lines: list[str], kind: int) -> list[str]:
    """The plan's lines with the mistakes people make: a misspelt keyword (the first
    session line's `session` as `sesion`) or, for odd `kind`, an unterminated string (the
    first goal's closing quote left out)."""
    lines = list(lines)
    for number, line in enumerate(lines):
        stripped = line.strip()
        if kind % 2 == 0 and stripped.startswith("session "):
            lines[number] = line.replace("session ", "sesion ", 1)
            return lines
        if kind % 2 == 1 and stripped.startswith('goal "') and stripped.endswith('"'):
            lines[number] = line.rstrip()[:-1]
            return lines
    raise ValueError("no session or goal line to break")


def long_plan(sessions: int) -> str:
    """One plan with every one of `sessions` sessions written out, a few activities each."""
    out = ['plan "Long course"', "  client L-1", "  protocol ipt",
           "  schedule weekly from 2027-01-04 at 10:00 for 50 min", "  measure PHQ-9 every 4 sessions",
           'focus sister: role_dispute "Sister directs the care of their mother"',
           "  stage renegotiation", '  goal "Agree a fair rota"',
           "phase initial sessions 1-3"]
    middle_end = sessions - 3
    for number in range(1, sessions + 1):
        if number == 4:
            out += [f"phase middle sessions 4-{middle_end}", "  every session", "    symptom_review"]
        if number == middle_end + 1:
            out.append(f"phase termination sessions {middle_end + 1}-{sessions}")
        out.append(f'  session {number} "Session {number}"')
        if number == 1:
            out += ["    interpersonal_inventory", "    formulation for sister", "    treatment_contract"]
        elif number <= 3:
            out += ["    psychoeducation"]
        elif number <= middle_end:
            out += ["    communication_analysis for sister \"an argument this week\"",
                    "    role_play for sister", '    homework "Try the new words once"']
        else:
            out += ["    termination_discussion", "    relapse_prevention"]
    return "\n".join(out) + "\n"


def repeated_lines(shape: str, count: int) -> str:
    """A plan with `count` lines of one kind, the shapes that once made a stage quadratic:
    a scan for an earlier line of the same name, or a rule comparing each line with all."""
    import datetime as dt

    head = ['plan "Many lines"', "  client L-1", "  protocol ipt",
            "  schedule weekly from 2027-01-04 at 10:00 for 50 min"]
    course = ["phase initial sessions 1-3", "  session 1", "    symptom_review",
              "phase middle sessions 4-13", "phase termination sessions 14-16"]
    if shape == "foci":
        body = [f'focus f{i}: role_transition "A change"\n  goal "A goal"' for i in range(count)]
        return "\n".join(head + body + course) + "\n"
    if shape == "skips":  # one a day: most miss a session, and each such skip is reported
        first = dt.date(2027, 1, 4)
        body = [f"  skip {first + dt.timedelta(days=i)}" for i in range(count)]
        return "\n".join(head + body + course) + "\n"
    if shape == "measures":
        body = [f"  measure SCALE-{i} every session" for i in range(count)]
        return "\n".join(head + body + course) + "\n"
    if shape == "log":
        return long_log(count)
    if shape == "phases":  # one phase a session, so each is compared with the ones after it
        body = [f"phase middle sessions {i}-{i}" for i in range(1, count + 1)]
        return "\n".join(head + body) + "\n"
    # The course forms: a line each, over a course long enough for all of them to name
    # one of its sessions; every session falls under one schedule line, a stage and a skip.
    long_course = ["phase initial sessions 1-3", "  session 1", "    symptom_review",
                   f"phase middle sessions 4-{count + 3}", "  every session",
                   "    build_new_skills for sister",
                   f"phase termination sessions {count + 4}-{count + 6}"]
    dispute = ['focus sister: role_dispute "A dispute"', "  stage impasse", '  goal "A goal"']
    if shape == "rhythms":  # a change of rhythm from each session, each with its own length
        body = [f"  schedule {'weekly' if i % 2 else 'every 2 weeks'} from session {i} "
                f"for {50 if i % 3 else 90} min" for i in range(2, count + 2)]
        skips = ["  skip 2027-01-05", "  skip 2027-03-01"]
        return "\n".join(head + body + skips + dispute + long_course) + "\n"
    if shape == "stages":  # the dispute's stage changes at each session
        names = ("renegotiation", "dissolution", "impasse")
        body = [f"  stage {names[i % 3]} from session {i}" for i in range(1, count + 1)]
        return "\n".join(head + dispute[:2] + body + dispute[2:] + long_course) + "\n"
    if shape == "sessions":  # each session written out with its own attributes
        body = [f'  session {i} "S" with parent, interpreter by video for {45 if i % 2 else 90} min'
                "\n    mourn_old_role for sister" for i in range(4, count + 4)]
        return "\n".join(head + dispute + long_course[:6] + body + long_course[6:]) + "\n"
    if shape == "measured":  # a scale rated at chosen sessions, some not on the course
        at = ", ".join(str(i) for i in range(1, 2 * count, 2))
        return "\n".join(head + [f"  measure PHQ-9 at sessions {at}"] + dispute
                         + long_course) + "\n"
    raise ValueError(f"no shape {shape}")


def long_log(entries: int) -> str:
    """A clean 16-session course whose log has `entries` appointments, one a day from 1990
    on (all in the past): each session missed or cancelled over and over, then held once
    and scored (the PHQ-9 with its items, a risk line, homework and a note). Only the
    cancellations raise anything: IPT507, a warning that the course has overrun."""
    import datetime as dt

    first = dt.date(1990, 1, 1)
    out = ['plan "A long log"', "  client L-1", "  protocol ipt",
           f"  schedule weekly from {first} at 10:00 for 50 min", "  measure PHQ-9 every session",
           'focus sister: role_dispute "Sister directs the care of their mother"',
           "  stage renegotiation", '  goal "Agree a fair rota"',
           "phase initial sessions 1-3", "  session 1", "    psychoeducation", "    sick_role",
           "  session 2", "    interpersonal_inventory",
           "  session 3", "    formulation for sister", "    treatment_contract",
           "phase middle sessions 4-13", "  session 5", "    communication_analysis for sister",
           "phase termination sessions 14-16", "  session 14", "    termination_discussion",
           "  session 16", "    relapse_prevention", "log"]
    sessions = 16
    session_of = [i * sessions // entries + 1 for i in range(entries)]
    for i, number in enumerate(session_of):
        day = first + dt.timedelta(days=i)
        if i + 1 == entries or session_of[i + 1] != number:
            total = 18 - number  # falling: 17 at session 1, 2 at session 16
            items = [min(3, max(0, total - 3 * k)) for k in range(8)] + [0]
            out += [f"  {day} session {number} held",
                    f"    score PHQ-9 {total} items {' '.join(map(str, items))}",
                    '    risk "No thoughts of death or self-harm"',
                    '    homework done "Said what she can and cannot do"',
                    f'    note "Held at last, after {i} appointments"']
        elif i % 2:
            out.append(f'  {day} session {number} cancelled "client unwell"')
        else:
            out.append(f"  {day} session {number} missed")
    return "\n".join(out) + "\n"
