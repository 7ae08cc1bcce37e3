"""Realistic synthetic business documents for benchmarks: mixed headings, paragraphs, lists and
tables, seeded so every run measures the same text."""

import random

SUPPLIERS = [
    "Northwind Components",
    "Contoso Metals",
    "Fabrikam Logistics",
    "Adatum Plastics",
    "Litware Electronics",
    "Tailspin Freight",
    "Wingtip Packaging",
    "Proseware Tools",
]
CITIES = ["Linz", "Rotterdam", "Lyon", "Gdansk", "Porto", "Brno", "Ghent", "Turin"]
TOPICS = ["payment", "delivery", "quality", "termination", "incident", "action"]
PARAGRAPHS = [
    "Invoices from {s} are payable within {d} days of receipt. A {p}% discount applies when "
    "payment is made within 10 days, and late payments accrue interest at {p2}% above base.",
    "{s} will deliver {n:,} units per quarter to the plant in {c}. Each shipment must include a "
    "certificate of conformity; the deadline for reporting visible defects is {d} days.",
    "The quality audit at {s} found {k} minor issues and no major ones. Corrective actions are "
    "due before the end of the quarter, with a follow-up visit planned in {c}.",
    "Either party may terminate the agreement with {d} days' written notice. {s} may terminate "
    "immediately if two consecutive delivery deadlines are missed.",
    "On {day} October the {c} warehouse reported a delay of {k} hours on inbound trucks from {s}; "
    "the incident cost an estimated {n:,} EUR in overtime and expedited freight.",
    "The framework price for {s} is fixed at {price} EUR per unit for the first 12 months, after "
    "which it follows the published aluminium index with a cap of {p}% per year.",
    "Our team met {s} in {c} to review forecasts. Volumes for next year are expected to grow by "
    "{p}%, and a second production line would need an investment of {n:,} EUR.",
]
ACTIONS = [
    "Renegotiate the freight contract with {s} before {day} December.",
    "Send the updated forecast to {s} by the end of the month.",
    "Schedule the safety audit at the {c} site; budget {n:,} EUR.",
    "Confirm the tooling deposit of {n:,} EUR with finance.",
    "Review the penalty clause for late delivery ({p}% per week).",
    "Ask {s} for a second source for part NW-{k}{k}0.",
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        s=rng.choice(SUPPLIERS),
        c=rng.choice(CITIES),
        d=rng.choice([14, 30, 45, 60, 90]),
        p=rng.choice([2, 3, 4.5, 5]),
        p2=rng.choice([4, 6, 8]),
        n=rng.randrange(1_000, 250_000),
        k=rng.randrange(2, 12),
        day=rng.randrange(1, 28),
        price=f"{rng.uniform(5, 80):.2f}",
    )


def business_report(sections: int, *, seed: int = 7) -> str:
    rng = random.Random(seed)
    lines = [
        "# Supplier Review and Procurement Report",
        "",
        "This report summarises supplier performance, open commitments and actions for the "
        "procurement committee.",
        "",
    ]
    for number in range(1, sections + 1):
        supplier = rng.choice(SUPPLIERS)
        lines += [f"## {number}. {supplier} — {rng.choice(TOPICS).title()}", ""]
        for _ in range(rng.randrange(2, 5)):
            lines += [_fill(rng.choice(PARAGRAPHS), rng), ""]
        lines += ["### Actions", ""]
        lines += [f"- {_fill(rng.choice(ACTIONS), rng)}" for _ in range(rng.randrange(2, 5))]
        lines.append("")
        if number % 2 == 0:
            lines += ["| Item | Quantity | Unit price (EUR) | Due |", "|---|---|---|---|"]
            for _ in range(rng.randrange(3, 6)):
                lines.append(
                    f"| Part NW-{rng.randrange(1000, 9999)} | {rng.randrange(100, 5000)} "
                    f"| {rng.uniform(2, 90):.2f} | {rng.randrange(1, 28)} Nov |"
                )
            lines.append("")
    return "\n".join(lines)
