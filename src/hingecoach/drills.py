"""The one table of drills and their checks. Adding a drill, or tuning a check's threshold, touches only this file.

A :class:`Check` is a measured quantity on one rep (a pure function of a :class:`~hingecoach.measures.RepWindow`,
defined in :mod:`hingecoach.measures`, the back line's in :mod:`hingecoach.measures_back`), a documented threshold with
its reason, a severity rule, a coaching cue and the passage of the seed article it encodes (quoted verbatim;
``tests/unit/test_drills.py`` checks the quotes against the article). A :class:`Drill` is the article's drill with its
place on the ladder and the checks that apply to it.

Thresholds are in the units of the kinematics contract (:mod:`hingecoach.kinematics`): degrees for angles,
ratios of a body length for distances, so they do not depend on the camera's distance or the lifter's size.
``docs/checks.md`` is the human-readable version of this table (:func:`hingecoach.checks_doc.checks_markdown`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

import numpy as np

from hingecoach.measures import (
    AltReading,
    MeasureFn,
    measure_bar_distance,
    measure_hand_depth,
    measure_hips_first,
    measure_knee_bend,
    measure_knee_hip_ratio,
    measure_knee_width,
    measure_lean_back,
    measure_leg_line,
    measure_pelvis_tilt,
    measure_top_hip_flexion,
    measure_trunk_depth,
)
from hingecoach.measures_back import measure_head_gap, measure_shoulder_drop

Direction = Literal["above", "below"]
StartPosition = Literal["standing", "floor", "kneeling", "supine"]
ViewName = Literal["side", "front", "oblique"]

SIDE: Final[frozenset[str]] = frozenset({"side"})
SAGITTAL: Final[frozenset[str]] = frozenset({"side", "oblique"})
FRONTAL: Final[frozenset[str]] = frozenset({"front"})

#: Series the judge derives from the track itself (not in the kinematics contract);
#: see :func:`hingecoach.judge_inputs.derived_series`.
DERIVED_SERIES: Final[tuple[str, ...]] = ("leg_line_deg", "ankle_lift", "knee_width_ratio")

#: The stable fault vocabulary (other tools key on these codes).
FAULT_CODES: Final[tuple[str, ...]] = (
    "rounded_back",
    "head_out_of_line",
    "squat_pattern",
    "locked_knees",
    "overextension",
    "incomplete_lockout",
    "too_deep",
    "hips_rise_first",
    "bar_far_from_body",
    "hips_not_level",
    "body_not_straight",
    "knees_cave",
    "incomplete_hip_extension",
)


@dataclass(frozen=True)
class Check:
    """One fault check: quantity, threshold (+ why), severity rule, cue, the seed passage, the views that can see it.

    A fault is raised when the value is past ``threshold`` in ``direction``; it is *major* when also past
    ``major_at``. ``series`` lists the series ``fn`` reads (checked against the contract by a test).
    ``needs_top_in_view``: a fault needs the top of the rep to have been seen (a lockout out of view is not missed).
    Build checks with keyword arguments: a threshold is never a bare positional number.
    """

    code: str
    quantity: str
    unit: str
    threshold: float
    direction: Direction
    major_at: float
    threshold_reason: str
    cue: str
    seed_quote: str
    views: frozenset[str]
    series: tuple[str, ...]
    fn: MeasureFn = field(repr=False, compare=False)
    needs_top_in_view: bool = False
    #: The threshold was chosen by looking at labelled clips (so ``hingecoach eval`` refits it leave-one-lifter-out);
    #: False = it follows from the article, anatomy or the measurement's noise.
    fitted: bool = False
    #: With the athlete's own neutral reference (:class:`BackReference`): the rise over it that is a fault, its
    #: major level and its band (the check's measure returns ``Measured(relative=True)`` then).
    reference_threshold: float | None = None
    reference_major_at: float | None = None
    reference_band: float = 0.0
    #: Half-width of the borderline band around ``threshold`` (the measurement's uncertainty, same unit): a value
    #: inside it is reported as borderline, neither fault nor clean, so noise (a mirrored copy of the clip, another
    #: phone) cannot flip the answer.
    band: float = 0.0
    #: A second reading for reps its own quantity cannot see (the check's measure returns ``Measured(alternate=True)``).
    alternate: AltReading | None = None

    @property
    def severity_rule(self) -> str:
        word = "above" if self.direction == "above" else "below"
        return f"minor {word} {self.threshold:g} {self.unit}; major {word} {self.major_at:g} {self.unit}"

    def past(self, value: float, limit: float) -> bool:
        return value > limit if self.direction == "above" else value < limit

    def grade(self, value: float) -> Literal["minor", "major"] | None:
        """Severity of a measured value: None (no fault), minor or major."""
        if not np.isfinite(value) or not self.past(value, self.threshold):
            return None
        return "major" if self.past(value, self.major_at) else "minor"


@dataclass(frozen=True)
class Drill:
    """A drill of the seed article: ladder level, set-up, which camera view it needs and its checks."""

    id: str
    name: str
    level: int
    description: str
    instructions: tuple[str, ...]
    start_position: StartPosition
    needs_view: ViewName
    checks: tuple[Check, ...]
    seed_quote: str
    loaded: bool = False

    def check(self, code: str) -> Check | None:
        return next((c for c in self.checks if c.code == code), None)



# ---------------------------------------------------------------------------------------------- the checks
Q_CANDY = (
    "Maintain a straight line from your head down to your hips. The purpose is to fold, like a hinge. Not bend. "
    "If you look like a candy cane after trying this, you’ve probably missed the mark."
)
Q_THREE_POINTS = "Maintain three points of contact – Back of your head, between your shoulder blades, and the tailbone."
Q_SLIGHT_BEND = "Slight bend in the knees, big bend at the hips on the way down."
Q_NOT_STRAIGHT = "Except we’re going to do this with the knees slightly bent, NOT straight."
Q_ARCH = "Don’t let your back arch in either the bottom or top position."
Q_STAND_UP = "squeeze the glutes tight on the way up, stand up straight at the top."
Q_MID_SHIN = "The bar should get to about mid-shin, give or take a few inches. That should be far enough."
Q_TOO_FAR = "Don’t go too far or you’ll end up letting your lumbar spine round the wrong direction."
Q_LEGS = "It’s the “lift with your legs, not with your back” movement."
Q_CENTRE = "much closer to your center of gravity"
Q_HIPS_LEVEL = "Ideally, your hips will stay parallel to the floor"
Q_HEAD_TO_FOOT = "you will be able to maintain a straight line from your head to your foot."
Q_KNEES_TOGETHER = "Just make sure that you don’t let the band pull your knees together."
Q_HIPS_UP = "Push through your heels and squeeze your glutes tight as you push your hips up toward the ceiling."

#: Rounded-back threshold on the shoulders' drop below the dowel (trunk lengths), fitted on the labelled lifters.
ROUNDED_BACK_THRESHOLD: Final[float] = 0.08
#: Head-gap threshold (trunk lengths), chosen on the dev lifters.
HEAD_GAP_THRESHOLD: Final[float] = 0.15


def rounded_back() -> Check:
    return Check(
        code="rounded_back",
        quantity="dowel_shoulder_drop",
        unit="trunk",
        threshold=ROUNDED_BACK_THRESHOLD,
        direction="above",
        major_at=ROUNDED_BACK_THRESHOLD + 0.06,
        threshold_reason=(
            "The article's stick on the back: laid on the tailbone and the mid-back, a back that curls into a candy "
            "cane lets the shoulders fall away below it (how far the back at the shoulder line is below the stick, "
            "median over the 15 or more frames of deepest lean where the trunk is seen, plates hiding the shins or "
            "not, in trunk lengths). Neutral backs read 0.01–0.05 (the shoulder blades' own curve), rounded upper "
            "backs 0.08–0.21. Fitted on all labelled lifters (0.08; refitted leave-one-lifter-out by `hingecoach "
            "eval`); the band is the larger of 0.01 and two standard errors of the median from its own frames. The "
            "gap at the tailbone and the mid-back bow are measured and reported beside it: on the lifters the tool "
            "had never seen, an upper back rounded over a flat lower back left the tailbone on the stick. Against "
            "the athlete's own neutral set a drop of 0.04 more is the fault (one lifter's ten neutral clips span "
            "0.021–0.047). Where the hands are at the neck and an elbow lies behind the trunk at the upper back (a bar "
            "or stick held at the shoulders, as the article's good morning holds it) the outline there is the arm's: "
            "the lower back is read instead, below the arms: a stick on the sacrum and the back just below the "
            "shoulder blades, and how far the lumbar spine rises above it (`dowel_lumbar_bow`; \"don't go too far or "
            "you'll end up letting your lumbar spine round\"). It can find the fault but not clear the upper back the "
            "arms hide, so below the fault it says not judged. Backs not labelled rounded read 0.000–0.023 on the 34 "
            "labelled side-view clips, the dev lifter's whole-back rounding 0.028–0.036 (upper-back rounding alone "
            "~0); 0.03 lies between them, band 0.01 (chosen by looking at those values, not refitted: no labelled "
            "clip rounds under a bar on the shoulders). "
            "Side view only: in any other view the silhouette is not the spine's profile."
        ),
        cue="Keep your back long and flat: fold at the hips like a hinge, don't curl into a candy cane.",
        seed_quote=Q_CANDY,
        views=SIDE,
        series=("dowel_shoulder_drop", "dowel_lumbar_bow", "trunk_incline_deg", "trunk_px"),
        fn=measure_shoulder_drop,
        fitted=True,
        band=0.01,
        reference_threshold=0.04,
        reference_major_at=0.08,
        reference_band=0.01,
        alternate=AltReading("dowel_lumbar_bow", threshold=0.03, major_at=0.06, band=0.01),
    )


def head_out_of_line() -> Check:
    return Check(
        code="head_out_of_line",
        quantity="dowel_head_gap",
        unit="trunk",
        threshold=HEAD_GAP_THRESHOLD,
        direction="above",
        major_at=HEAD_GAP_THRESHOLD + 0.08,
        threshold_reason=(
            "The back of the head against the virtual dowel's line (either way: hanging below it, or craned up past "
            "it so the stick would lift off the shoulder blades), median over the frames of deepest lean. Only the "
            "silhouette shows this: the ear's offset from the landmark trunk line barely moves when the back rounds. "
            "Chosen on the dev lifters (refitted leave-one-lifter-out by `hingecoach eval`); band 0.02 (hair and the "
            "head's outline are noisier than the back). Side view only. Not judged on a rep whose rounded back is a "
            "fault: the curl carries the neck and head off the stick with it, so the back is the one cue."
        ),
        cue="Keep your neck long, in line with your back: eyes on the floor a little ahead, don't crane up or tuck "
        "your chin.",
        seed_quote=Q_THREE_POINTS,
        views=SIDE,
        series=("dowel_head_gap", "trunk_incline_deg", "trunk_px", "hands_to_neck"),
        fn=measure_head_gap,
        fitted=True,
        band=0.02,
        reference_threshold=0.06,
        reference_major_at=0.12,
        reference_band=0.01,
    )


def squat_pattern(max_ratio: float = 0.8, major_ratio: float = 1.0) -> Check:
    return Check(
        code="squat_pattern",
        quantity="knee_to_hip_flexion",
        unit="ratio",
        threshold=max_ratio,
        direction="above",
        major_at=major_ratio,
        threshold_reason=(
            f"At the bottom a hinge bends the hips far more than the knees: dev clips' RDLs and good mornings read "
            f"0.05–0.35 side-on and up to 0.74 from an oblique camera, floor deadlifts 0.46–0.80; "
            f"squats read 0.9–1.06. "
            f"Above {max_ratio:g} the knees are doing a squat's share."
        ),
        cue="Push your hips back, not down: a slight bend in the knees, a big bend at the hips.",
        seed_quote=Q_SLIGHT_BEND,
        views=SAGITTAL,
        series=("knee_flexion_deg", "hip_flexion_deg"),
        fn=measure_knee_hip_ratio,
        fitted=True,
        band=0.05,
    )


def locked_knees(min_deg: float = 10.0, major_deg: float = 5.0) -> Check:
    return Check(
        code="locked_knees",
        quantity="knee_flexion_max_deg",
        unit="deg",
        threshold=min_deg,
        direction="below",
        major_at=major_deg,
        threshold_reason=(
            f"Deepest knee bend at the bottom below {min_deg:g}° (corrected for an oblique camera) is a "
            f"straight leg for "
            "this drill: 2D knee angles carry ~5° of noise; an RDL's 'slight bend' is 15–30°; a floor pull starts with "
            "the knees bent 50–80° (dev side clips 66–117°; the st17086ts authors require ≥ 47°)."
        ),
        cue="Unlock your knees: keep a soft bend in them all the way down.",
        seed_quote=Q_NOT_STRAIGHT,
        views=SAGITTAL,
        series=("knee_flexion_deg", "hip_flexion_deg"),
        fn=measure_knee_bend,
        # Not fitted: the value sits between the angle's noise and the article's "slight bend", and the manifest holds
        # one lifter with locked knees: a leave-one-lifter-out fit then lands a hair from that one lifter's values
        # (folds gave 13.5-24.1°, turning a clean good morning's soft 13.5° knee into a fault).
        fitted=False,
        band=3.0,
    )


def overextension() -> Check:
    return Check(
        code="overextension",
        quantity="lockout_arch_max_deg",
        unit="deg",
        threshold=35.0,
        direction="above",
        major_at=45.0,
        threshold_reason=(
            "The trunk's lean back past the ankle→hip line at the top (hips pushed forward, shoulders behind: the "
            "arched lockout). Lifters standing straight read 5–13° on the dev clips (BlazePose's hip sits a little "
            "behind the joint); one lifter filmed from knee height who finishes with the shoulders back reads "
            "17–34° on clips labelled clean, so 35° is past every dev lockout, and 45° (major) is a lean no lockout "
            "needs. Needs no knee landmark (plates hide it at lockout). Side view only: an oblique camera shifts the "
            "reading by ±25°."
        ),
        cue="Finish tall, not leaning back: squeeze your glutes and stop when you're straight.",
        seed_quote=Q_ARCH,
        views=SIDE,
        series=("body_arch_deg", "hip_extension_deg"),
        fn=measure_lean_back,
        fitted=True,
        band=3.0,
    )


def incomplete_lockout() -> Check:
    return Check(
        code="incomplete_lockout",
        quantity="hip_flexion_top_deg",
        unit="deg",
        threshold=15.0,
        direction="above",
        major_at=30.0,
        threshold_reason=(
            "Standing tall reads −18…+6° in side views (dev clips); hips still bent by more than 15° at the top is an "
            "unfinished rep. Side view only: oblique cameras read a tall stance as 16–28° of flexion."
        ),
        cue="Stand all the way up at the top and squeeze your glutes.",
        seed_quote=Q_STAND_UP,
        views=SIDE,
        series=("hip_flexion_deg",),
        fn=measure_top_hip_flexion,
        fitted=True,
        band=3.0,
        needs_top_in_view=True,
    )


def too_deep_hands() -> Check:
    return Check(
        code="too_deep",
        quantity="hand_height_min",
        unit="ankle0_knee1_hip2",
        threshold=0.35,
        direction="below",
        major_at=0.1,
        threshold_reason=(
            "Mid-shin is 0.5 on this scale (0 ankle, 1 knee); 'give or take a few inches' is ±0.15 of a shin (≈ 6 cm), "
            "so hands below 0.35 are past the range the article asks for. Weights taken to the floor read 0.2–0.4: "
            "a dumbbell's or kettlebell's handle holds the wrist 10–20 cm off the floor, the ankle landmark sits "
            "~8 cm up. At 0.1 the hands are at the ankles."
        ),
        cue="You don't need to go lower: stop around mid-shin, where you feel your hamstrings.",
        seed_quote=Q_MID_SHIN,
        views=SAGITTAL,
        series=("hand_height",),
        fn=measure_hand_depth,
        fitted=False,
        band=0.05,
    )


def too_deep_trunk() -> Check:
    return Check(
        code="too_deep",
        quantity="trunk_incline_max_deg",
        unit="deg",
        threshold=100.0,
        direction="above",
        major_at=115.0,
        threshold_reason=(
            "A good morning ends around a horizontal torso (90°) where the hamstrings are tight; past 100° the head is "
            "below the hips and the lumbar spine is what keeps going. Side view only (trunk lean is foreshortened "
            "towards an oblique camera)."
        ),
        cue="Don't go too far: stop when your hamstrings are tight and your back is still flat.",
        seed_quote=Q_TOO_FAR,
        views=SIDE,
        series=("trunk_incline_deg",),
        fn=measure_trunk_depth,
        fitted=False,
        band=3.0,
    )


def hips_rise_first() -> Check:
    return Check(
        code="hips_rise_first",
        quantity="trunk_tip_during_knee_extension_deg",
        unit="deg",
        threshold=10.0,
        direction="above",
        major_at=20.0,
        threshold_reason=(
            "In a good pull the trunk angle holds or rises while the knees extend; tipping >10° further forward "
            "(twice the 2D angle noise) means the hips shot up first and the back lifts the load. Side and oblique "
            "views: the trunk's foreshortening towards an oblique camera is undone with the view's yaw (not judged "
            "beyond 50° of yaw)."
        ),
        cue="Lift with your legs: drive the floor away and let your chest and hips rise together.",
        seed_quote=Q_LEGS,
        views=SAGITTAL,
        series=("knee_flexion_deg", "trunk_incline_deg"),
        fn=measure_hips_first,
        fitted=False,
        band=3.0,
    )


def bar_far_from_body() -> Check:
    return Check(
        code="bar_far_from_body",
        quantity="hand_to_leg_max",
        unit="shin",
        threshold=0.60,
        direction="above",
        major_at=0.90,
        threshold_reason=(
            "With the bar sliding down the legs the wrist sits a thigh's half-thickness plus the bar in front of the "
            "leg's joint line, 0.1–0.35 shin lengths (dev RDLs: 0.09 and 0.15; the synthetic bar against the legs "
            "≈ 0.1); 0.6 (≈ 25 cm) is the bar a hand's breadth off the thighs or shins, 0.9 a forearm's length. The "
            "seed states no bar-path rule: this encodes its principle of keeping the resistance close to the centre "
            "of gravity."
        ),
        cue="Keep the weight close: let it slide down your thighs and shins.",
        seed_quote=Q_CENTRE,
        views=SIDE,
        series=("hand_height", "hand_to_leg"),
        fn=measure_bar_distance,
        fitted=True,
        band=0.08,
    )


def hips_not_level() -> Check:
    return Check(
        code="hips_not_level",
        quantity="pelvis_tilt_change_max_deg",
        unit="deg",
        threshold=10.0,
        direction="above",
        major_at=20.0,
        threshold_reason=(
            "Hip-line angle changes of < 5° are landmark noise; a 10° tilt means the free hip is opening up towards "
            "the ceiling. Only a front (or rear) view shows the hip line."
        ),
        cue="Keep your hips square to the floor: point the toes of the free leg down.",
        seed_quote=Q_HIPS_LEVEL,
        views=FRONTAL,
        series=("pelvis_tilt_deg",),
        fn=measure_pelvis_tilt,
        fitted=False,
        band=2.5,
    )


def body_not_straight() -> Check:
    return Check(
        code="body_not_straight",
        quantity="leg_line_bend_deg",
        unit="deg",
        threshold=20.0,
        direction="above",
        major_at=35.0,
        threshold_reason=(
            "Head-to-foot should be one line at the bottom; 20° is three times the per-angle landmark noise and a "
            "visibly dropped or bent free leg."
        ),
        cue="Make one long line from head to heel: kick the free heel back as you tip forward.",
        seed_quote=Q_HEAD_TO_FOOT,
        views=SIDE,
        series=("leg_line_deg", "hip_flexion_deg"),
        fn=measure_leg_line,
        fitted=False,
        band=3.0,
    )


def knees_cave() -> Check:
    return Check(
        code="knees_cave",
        quantity="knee_width_ratio_min",
        unit="ratio",
        threshold=0.80,
        direction="below",
        major_at=0.60,
        threshold_reason=(
            "With feet hip-width and shins upright the knees sit over the ankles (≈ 1); below 0.8 each knee has moved "
            "in by a tenth of the stance width."
        ),
        cue="Push your knees out against the band; don't let them fall in.",
        seed_quote=Q_KNEES_TOGETHER,
        views=FRONTAL,
        series=("knee_width_ratio",),
        fn=measure_knee_width,
        fitted=False,
        band=0.05,
    )


def incomplete_hip_extension() -> Check:
    return Check(
        code="incomplete_hip_extension",
        quantity="hip_flexion_top_deg",
        unit="deg",
        threshold=15.0,
        direction="above",
        major_at=30.0,
        threshold_reason=(
            "At the top of a hip thrust shoulders, hips and knees line up (0°); 15° is a top visibly short of that "
            "line."
        ),
        cue="Drive through your heels and squeeze your glutes until hips, shoulders and knees make a line.",
        seed_quote=Q_HIPS_UP,
        views=SIDE,
        series=("hip_flexion_deg",),
        fn=measure_top_hip_flexion,
        band=3.0,
        needs_top_in_view=True,
    )


# ---------------------------------------------------------------------------------------------- the drills
_HINGE = (rounded_back(), head_out_of_line(), squat_pattern(), locked_knees(), overextension(), incomplete_lockout())

_DRILL_LIST: tuple[Drill, ...] = (
    Drill(
        "hinge_kneeling", "Kneeling hip hinge", 1,
        "The hinge from a kneeling position: the easiest place to learn to fold at the hips with a straight back.",
        ("Kneel tall, a stick along your back touching head, shoulder blades and tailbone.",
         "Push your hips back and tip forward only as far as the stick stays on all three points.",
         "Squeeze your glutes to come back up tall."),
        "kneeling", "side", (rounded_back(), head_out_of_line(), overextension(), incomplete_lockout()),
        "If this is too difficult, try from a kneeling position.",
    ),
    Drill(
        "hinge_dowel", "Dowel hip hinge", 2,
        "A stick held along the back keeps head, upper back and tailbone on one line while you hinge.",
        ("Hold a broomstick against your back: back of the head, between the shoulder blades, tailbone.",
         "Bend your knees slightly and tip forward at the hips.",
         "Work only in the range where the stick keeps all three points; reset if it lifts off."),
        "standing", "side", (*_HINGE, too_deep_trunk()),
        "Take the stick and hold it against your back. Maintain three points of contact – Back of your head, "
        "between your shoulder blades, and the tailbone.",
    ),
    Drill(
        "hinge_wall", "Wall hip hinge", 2,
        "Reaching the hips back to touch a wall behind you gives the hinge a target.",
        ("Stand a foot's length in front of a wall, facing away.", "Unlock your knees and push your hips back "
         "until they touch the wall.", "Stand tall again by squeezing your glutes."),
        "standing", "side", _HINGE,
        "Another trick that may help is using a wall to sit back to.",
    ),
    Drill(
        "good_morning", "Good morning", 3,
        "The hinge with a stick, towel, band or bar across the shoulders.",
        ("Unlock the knees and push the hips back; brace your midsection.",
         "Stop where you feel your hamstrings, with a neutral back.",
         "Squeeze your glutes to come up and finish tall."),
        "standing", "side", (*_HINGE, too_deep_trunk()),
        "To perform a good morning, simply unlock the knee and push your hips back.", loaded=True,
    ),
    Drill(
        "band_pull_through", "Band pull-through", 3,
        "The same hinge with the resistance coming from behind, between the legs.",
        ("Slight bend in the knees, big bend at the hips on the way down.", "Brace; squeeze the glutes on the way up.",
         "Stand up straight at the top without arching."),
        "standing", "side", (*_HINGE, too_deep_trunk()),
        "The Band Pull Through is basically the same motion.", loaded=True,
    ),
    Drill(
        "hip_thrust", "Hip thrust", 3,
        "The hinge made horizontal: upper back on a bench, hips driven to the ceiling.",
        ("Upper back (just below the shoulder blades) on a bench, feet flat.",
         "Sit down toward the floor with a neutral back.",
         "Push through your heels and squeeze your glutes until hips line up with shoulders and knees."),
        "supine", "side", (incomplete_hip_extension(), overextension(), knees_cave()),
        "We’re going to use the same pattern once again. Except for this time, it will be horizontal.", loaded=True,
    ),
    Drill(
        "rdl", "Romanian deadlift", 4,
        "The hinge with a bar from the top: knees slightly bent, hips back, bar to about mid-shin.",
        ("Brace the midsection, slight bend in the knees, push the hips back.",
         "Lower the bar close to your legs to about mid-shin.", "Stand all the way up and squeeze your glutes."),
        "standing", "side", (*_HINGE, too_deep_hands(), bar_far_from_body()),
        "Brace the midsection, slight bend in the knees, push the hips back.", loaded=True,
    ),
    Drill(
        "deadlift", "Deadlift (from the floor)", 4,
        "The floor variant: the bar starts on the floor and is pulled to standing.",
        ("Set up with the bar over mid-foot, back flat.", "Push the floor away with your legs; keep the bar close.",
         "Stand tall at the top, then lower it the same way."),
        "floor", "side",
        # No bar-path check here: the seed gives one for the RDL ("close to your legs"), and on floor pulls the
        # plates hide the shins the distance would be measured from.
        (rounded_back(), head_out_of_line(), squat_pattern(1.0, 1.2), locked_knees(45.0, 25.0), hips_rise_first(),
         overextension(), incomplete_lockout()),
        "If you don’t have access to a squat rack then you’ll need to deadlift it up from the floor into the top "
        "position.", loaded=True,
    ),
    Drill(
        "b_stance_rdl", "B-stance RDL", 5,
        "The RDL with one foot stepped back as a kickstand, most of the work on the front leg.",
        ("Step one foot back, heel up, and use it only for balance.", "Same rules as the RDL: flat back, soft knee, "
         "hips back.", "Stand tall and squeeze the front glute."),
        "standing", "side", (*_HINGE, too_deep_hands(), bar_far_from_body()),
        "Again, all the same, rules apply except now we’re going to step one foot back and use it only as a "
        "“kickstand.”", loaded=True,
    ),
    Drill(
        "single_leg_rdl", "Single-leg RDL", 6,
        "The B-stance with the back leg lifted: hips parallel to the floor, one line from head to foot.",
        ("Stand on one leg with a soft knee.", "Tip forward and kick the free heel back as if pushing a heavy box.",
         "Keep the hips square to the floor; turn the free toes in if that hip flies up."),
        "standing", "side",
        (rounded_back(), head_out_of_line(), body_not_straight(), hips_not_level(), incomplete_lockout()),
        "To progress from the B-Stance all we’re going to do is elevate that back leg.", loaded=True,
    ),
)  # fmt: skip

DRILLS: Mapping[str, Drill] = MappingProxyType({d.id: d for d in _DRILL_LIST})

#: The ladder, easiest first; the first drill of a level is where a regression to that level lands.
LADDER: Final[tuple[tuple[str, ...], ...]] = (
    ("hinge_kneeling",),
    ("hinge_dowel", "hinge_wall"),
    ("good_morning", "band_pull_through", "hip_thrust"),
    ("rdl", "deadlift"),
    ("b_stance_rdl",),
    ("single_leg_rdl",),
)
