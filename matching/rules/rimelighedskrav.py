"""The rimelighedskrav: how many people with løntilskud or virksomhedspraktik a workplace may
have, by its ordinary staff, as dated rule data (source S10 in domain.md §2)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from matching.rules.places.facts import LAB_IN_FORCE
from matching.rules.tables import ValidOn


@dataclass(frozen=True)
class StaffCountBasis(ValidOn):
    """How ordinary staff are counted for the rimelighedskrav in a period."""

    valid_from: date
    valid_to: date | None  # exclusive
    unit: str  # "heads" or "fte"
    source: str


RIMELIGHEDSKRAV_BASES: tuple[StaffCountBasis, ...] = (
    # "Before 2020" (domain.md): no lower bound is known, so the head count reaches back.
    StaffCountBasis(date.min, LAB_IN_FORCE, "heads", "S10; BEK 1297/2017 § 92; before 1/1/2020"),
    StaffCountBasis(
        LAB_IN_FORCE,
        None,
        "fte",
        "S10; BEK 2636/2021 § 65; FTEs from 1/1/2020 (2020-21 BEK NV)",
    ),
)


def staff_count_basis(day: date) -> StaffCountBasis:
    """The counting unit for ordinary staff on ``day``: heads before 2020, FTEs from 2020."""
    for basis in RIMELIGHEDSKRAV_BASES:
        if basis.valid_on(day):
            return basis
    raise ValueError(f"no rimelighedskrav basis in force on {day.isoformat()}")


def rimelighedskrav_capacity(ordinary_staff: float, day: date) -> int:
    """Max. concurrent praktik + løntilskud + nytte places for a P-nr with ``ordinary_staff``.

    One place per 5 ordinary staff for the first 50 (always at least one), plus one per 10
    staff beyond 50 (BEK 2636/2021 § 65; BEK 1297/2017 § 92)::

        staff ≤ 50:  max(1, ⌊staff / 5⌋)
        staff > 50:  10 + ⌊(staff − 50) / 10⌋      so 50 → 10, 51 → 10, 59 → 10, 60 → 11, 61 → 11

    Only complete groups of 5 (or 10) count. ``ordinary_staff`` is a head count before 2020
    and FTEs from 2020 (see :func:`staff_count_basis`); the arithmetic is the same.
    Raises ValueError for negative or non-finite staff.
    """
    if not math.isfinite(ordinary_staff) or ordinary_staff < 0:
        raise ValueError(f"ordinary staff must be a finite number ≥ 0, not {ordinary_staff!r}")
    staff_count_basis(day)  # every date has a basis; this documents the dependency on ``day``
    # FTEs are sums of fractions: round away float noise such as 49.99999999 before flooring.
    staff = round(ordinary_staff, 6)
    first = max(1, math.floor(min(staff, 50) / 5))
    beyond = math.floor((staff - 50) / 10) if staff > 50 else 0
    return first + beyond


@dataclass(frozen=True)
class Rimelighedskrav:
    """The rimelighedskrav for one company place, as shown to employers and approvers."""

    ordinary_staff: float
    unit: str  # heads | fte
    capacity: int
    current: int  # subsidised places already at the P-nr
    source: str

    @property
    def fulfilled(self) -> bool:
        """True if one more place fits: the current places plus this one ≤ capacity."""
        return self.current + 1 <= self.capacity

    @property
    def summary_da(self) -> str:
        unit = "årsværk" if self.unit == "fte" else "ansatte"
        staff = f"{self.ordinary_staff:g}".replace(".", ",")
        verdict = "opfyldt" if self.fulfilled else "ikke opfyldt"
        return (
            f"{staff} ordinære {unit} giver plads til {self.capacity} virksomhedsrettede "
            f"tilbud; der er {self.current} i forvejen, så med denne plads er kravet {verdict}."
        )


def rimelighedskrav_for(
    ordinary_staff: float | None, current: int | None, day: date
) -> Rimelighedskrav | None:
    """The rimelighedskrav computed for a place (None while the staff count is unknown)."""
    if ordinary_staff is None:
        return None
    basis = staff_count_basis(day)
    return Rimelighedskrav(
        ordinary_staff=float(ordinary_staff),
        unit=basis.unit,
        capacity=rimelighedskrav_capacity(float(ordinary_staff), day),
        current=current or 0,
        source=basis.source,
    )
