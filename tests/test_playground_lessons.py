"""The playground's lessons: valid setups, and goals that the lesson's solution meets and its start does not."""

import pytest

from mlplab.playground import Session, check_setup
from mlplab.playground.lessons import GOAL_METRICS, LESSONS, TEACH_KEYS
from mlplab.playground.setup import PLAYGROUND_DEFAULTS


def goal_met(session: Session, goal: dict) -> bool:
    """Whether the goal holds at some epoch of ``session``'s history (as the page checks it after each state)."""
    units = sum(session.config.hidden)
    if "max_units" in goal and units > goal["max_units"]:
        return False
    values = session.history[goal["metric"]]
    if goal.get("when") == "end":
        values = values[-1:] if session.status == "done" else []
    return any(v < goal["below"] if "below" in goal else v > goal["above"] for v in values)


def trained(setup: dict) -> Session:
    session = Session(check_setup(setup))
    while not session.finished:
        session.epoch()
    return session


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson["name"] for lesson in LESSONS])
def test_a_lesson_is_a_valid_setup_with_a_goal_the_page_can_check(lesson):
    check_setup(lesson["setup"])
    teach = lesson["teach"]
    assert set(teach) <= set(TEACH_KEYS) and teach["text"]
    assert set(teach.get("hide", [])) | set(teach.get("lock", [])) <= set(PLAYGROUND_DEFAULTS)
    goal = teach["goal"]
    assert goal["metric"] in GOAL_METRICS and ("below" in goal) != ("above" in goal)
    assert goal.get("when", "any") in ("any", "end")


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson["name"] for lesson in LESSONS])
def test_the_lessons_solution_meets_its_goal_and_its_start_does_not(lesson):
    goal = lesson["teach"]["goal"]
    assert not goal_met(trained(lesson["setup"]), goal)
    assert goal_met(trained({**lesson["setup"], **lesson["solution"]}), goal)
