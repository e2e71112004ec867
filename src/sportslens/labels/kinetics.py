"""Kinetics-400 vocabularies: the 400 class names and the sports among them, grouped by sport.

The class names come from torchvision's weight metadata, so they match the label index of every
torchvision Kinetics-400 checkpoint and need no download.

How the sports subset was chosen. Each of the 400 names was read, and a class is in the subset when
what it shows is one of these:

1. a sport practised competitively, or a technique or drill of one ("golf putting",
   "hockey stop", "dribbling basketball", "abseiling"), athletics, skating, cycling, climbing,
   board, water, winter, air and motor sports included;
2. exercise done as athletic training or fitness: strength lifts, calisthenics, stretching and
   other flexibility work, aerobics, yoga, jogging;
3. dance of any style, counted as a performance sport.

A class is left out when it is:

- a chore, a craft, grooming, eating, music or everyday transport ("shoveling snow",
  "riding scooter", "hoverboarding");
- a ride or amusement where the person is carried rather than performing, or a thrill with no
  competitive form ("parasailing", "bungee jumping", "water sliding", "riding mechanical bull",
  "jumping into pool");
- a circus or object-manipulation art ("juggling balls", "spinning poi", "trapezing",
  "hula hooping");
- a game that is not athletic (chess, cards, "hopscotch") or a pastime that is not athletic
  (fishing, "flying kite");
- animal handling that is not raced or competed ("riding camel", "training dog").

These rules select 134 classes, the count in the quick-start chapter. Each class is in exactly one
group of :data:`SPORT_GROUPS`. Groups follow the sport, not the scene: golf counts as a target
sport, "jetskiing" is a motor sport, "climbing a rope" is climbing, "cheerleading" is gymnastics
and "zumba", a dance-fitness class, sits with "doing aerobics" under fitness.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache

# The public names are listed once, in ``sportslens.labels.__all__``.

# Names inside each group are in label-index order.
SPORT_GROUPS: dict[str, tuple[str, ...]] = {
    "athletics": (
        "hammer throw",
        "high jump",
        "hurdling",
        "javelin throw",
        "jogging",
        "long jump",
        "pole vault",
        "shot put",
        "throwing discus",
        "triple jump",
    ),
    "gymnastics": (
        "bending back",
        "bouncing on trampoline",
        "cartwheeling",
        "cheerleading",
        "gymnastics tumbling",
        "somersaulting",
        "vault",
    ),
    "swimming and diving": (
        "diving cliff",
        "springboard diving",
        "swimming backstroke",
        "swimming breast stroke",
        "swimming butterfly stroke",
    ),
    "racket and bat sports": (
        "catching or throwing baseball",
        "catching or throwing softball",
        "hitting baseball",
        "playing badminton",
        "playing cricket",
        "playing squash or racquetball",
        "playing tennis",
    ),
    "ball sports": (
        "dodgeball",
        "dribbling basketball",
        "drop kicking",
        "dunking basketball",
        "hurling (sport)",
        "juggling soccer ball",
        "kicking field goal",
        "kicking soccer ball",
        "passing American football (in game)",
        "passing American football (not in game)",
        "playing basketball",
        "playing kickball",
        "playing volleyball",
        "shooting basketball",
        "shooting goal (soccer)",
        "throwing ball",
    ),
    "combat sports": (
        "arm wrestling",
        "capoeira",
        "high kick",
        "punching bag",
        "punching person (boxing)",
        "side kick",
        "sword fighting",
        "tai chi",
        "wrestling",
    ),
    "winter sports": (
        "bobsledding",
        "hockey stop",
        "ice skating",
        "playing ice hockey",
        "ski jumping",
        "skiing (not slalom or crosscountry)",
        "skiing crosscountry",
        "skiing slalom",
        "snowkiting",
        "tobogganing",
    ),
    "water sports": (
        "canoeing or kayaking",
        "sailing",
        "scuba diving",
        "snorkeling",
        "water skiing",
    ),
    "board sports": (
        "kitesurfing",
        "skateboarding",
        "snowboarding",
        "surfing water",
        "windsurfing",
    ),
    "cycling": (
        "biking through snow",
        "riding a bike",
        "riding mountain bike",
        "riding unicycle",
    ),
    "weightlifting and fitness": (
        "bench pressing",
        "clean and jerk",
        "deadlifting",
        "doing aerobics",
        "exercising arm",
        "exercising with an exercise ball",
        "front raises",
        "lunge",
        "pull ups",
        "push up",
        "running on treadmill",
        "situp",
        "skipping rope",
        "snatch weight lifting",
        "squat",
        "stretching arm",
        "stretching leg",
        "yoga",
        "zumba",
    ),
    "dance": (
        "belly dancing",
        "breakdancing",
        "country line dancing",
        "dancing ballet",
        "dancing charleston",
        "dancing gangnam style",
        "dancing macarena",
        "jumpstyle dancing",
        "krumping",
        "robot dancing",
        "salsa dancing",
        "swing dancing",
        "tango dancing",
        "tap dancing",
    ),
    "climbing": (
        "abseiling",
        "climbing a rope",
        "ice climbing",
        "rock climbing",
    ),
    "equestrian and animal sports": (
        "riding or walking with horse",
        "sled dog racing",
    ),
    "motor sports": (
        "jetskiing",
        "motorcycling",
        "snowmobiling",
    ),
    "air sports": (
        "paragliding",
        "skydiving",
    ),
    "target sports": (
        "archery",
        "bowling",
        "disc golfing",
        "golf chipping",
        "golf driving",
        "golf putting",
        "playing paintball",
        "throwing axe",
    ),
    "other": (
        "catching or throwing frisbee",
        "parkour",
        "roller skating",
        "slacklining",
    ),
}


def _sport_by_class(groups: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Invert ``groups`` to class name -> group name, refusing a class listed twice."""
    sport_by_class: dict[str, str] = {}
    for sport, class_names in groups.items():
        for name in class_names:
            if name in sport_by_class:
                raise ValueError(
                    f"Kinetics class {name!r} is in two sport groups: "
                    f"{sport_by_class[name]!r} and {sport!r}"
                )
            sport_by_class[name] = sport
    return sport_by_class


_SPORT_BY_CLASS = _sport_by_class(SPORT_GROUPS)


@cache
def _classes() -> tuple[str, ...]:
    # Lazy import: torchvision.models pulls in every model family; the names alone need none.
    from torchvision.models.video import R3D_18_Weights

    categories = tuple(R3D_18_Weights.KINETICS400_V1.meta["categories"])
    if len(categories) != 400:
        raise RuntimeError(
            f"torchvision's Kinetics-400 metadata lists {len(categories)} classes, expected 400"
        )
    unknown = sorted(set(_SPORT_BY_CLASS) - set(categories))
    if unknown:
        raise RuntimeError(f"SPORT_GROUPS names classes not in Kinetics-400: {unknown}")
    return categories


def kinetics400_classes() -> list[str]:
    """The 400 Kinetics-400 class names in label-index order, as torchvision's weights use them."""
    return list(_classes())


def kinetics400_sports() -> list[str]:
    """The sport classes of :data:`SPORT_GROUPS`, flattened into label-index order."""
    return [name for name in _classes() if name in _SPORT_BY_CLASS]


def sports_indices() -> list[int]:
    """Label indices of :func:`kinetics400_sports`, ascending: the logits a sports head keeps."""
    return [index for index, name in enumerate(_classes()) if name in _SPORT_BY_CLASS]


def sport_of(class_name: str) -> str | None:
    """The :data:`SPORT_GROUPS` group of a Kinetics-400 class, or None for a class that is no sport.

    A name that is not a Kinetics-400 class raises ``ValueError`` rather than returning None, so a
    typo cannot pass for "not a sport".
    """
    sport = _SPORT_BY_CLASS.get(class_name)
    if sport is None and class_name not in _classes():
        close = difflib.get_close_matches(class_name, _classes(), n=3)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"{class_name!r} is not a Kinetics-400 class name{hint}")
    return sport
