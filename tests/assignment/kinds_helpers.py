"""Jobs of every kind for the work interface tests, with a task held by a trainer."""
from marketplace.assignment import services
from marketplace.extensions import db
from tests.factories import make_kind_job, make_trainer

CODE = "def total(xs):\n    return sum(xs[1:])\n"
SETUPS = {
    "bounding_boxes": ({"labels": ["person", "car"], "max_boxes": 3},
                       {"image": "images/job-1/x.png", "width": 200, "height": 150, "original_name": "x.png"}),
    "writing": ({"min_chars": 10, "max_chars": 50}, {"prompt": "Explain why ice floats.", "context": "Density."}),
    "pairwise_preference": ({"allow_tie": True, "reason_min_chars": 5},
                            {"prompt": "Capital of Australia?", "response_a": "Canberra.", "response_b": "Sydney."}),
    "rating": ({"rubric": [{"name": "Helpfulness", "scale_max": 5, "comment_required": True},
                           {"name": "Tone", "scale_max": 3, "description": "Polite, calm"}]},
               {"prompt": "Reset my password?", "response": "Send me your password."}),
    "code_review": ({"quality_scale_max": 5}, {"problem": "Sum a list.", "code": CODE,
                                               "tests": "assert total([1, 2]) == 3\nassert total([]) == 0\n"}),
}
RANKED = {"prompt": "Best haiku?", "response_a": "A", "response_b": "B", "more_responses": ["C", "D"]}


def held(kind, *, payload=None, config=None, trainer=None, **fields):
    """(assignment, trainer): a fresh job of `kind` with one task, claimed by a trainer."""
    default_config, default_payload = SETUPS[kind]
    job = make_kind_job(kind, [payload or default_payload],
                        config=default_config if config is None else config, **fields)
    trainer = trainer or make_trainer()
    assignment = services.claim_next(job, trainer)[0]
    db.session.commit()
    return assignment, trainer
