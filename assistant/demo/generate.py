"""Deterministic generator of the demo company's DuckDB database (优选零售).

``build_demo(out, as_of=D, scale=..., seed=...)`` writes every table of
``demo-company.md`` to ``out``. The same (seed, scale, as_of) always gives the
same table contents (see ``table_checksums``).

How it works, in short:

* Small dimension tables come from the static lists in ``names.py``.
* A daily order *intensity* is computed per source (each store, 线上, 小程序)
  from growth, weekly cycle, Spring Festival, 618/双11 and store openings, then
  normalised so the span holds ``scale × 1,000,000`` orders.
* Orders are drawn month by month (bounded memory), each month with its own RNG
  stream, as Poisson counts per (day, source) expanded with ``np.repeat``; lines,
  returns, complaints and traffic are derived from them with vectorised numpy.
* The last chunk covers the two months before D's month plus D's month to date.
  There the planted stories are *calibrated* on the realised data, so they hold
  at every scale: the 饮料 category gets extra lines until it grows ~40%, and
  orders are thinned so 上海徐汇店 falls ~35% while every other store stays
  within ±10% of the typical change. Complaints in 华南 triple in the last full
  week. The factory tables carry the 二号线 breakdown.
* Everything lands in a temp file next to ``out`` that is renamed at the end.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from . import names as N

GENERATOR_VERSION = "1"
ORDERS_AT_SCALE_1 = 1_000_000
CUSTOMERS_AT_SCALE_1 = 60_000
STORES_AT_SCALE_1 = 40
MIN_STORES = 12

ProgressFn = Callable[[str, float], None]

# Independent RNG streams: np.random.default_rng([seed, STREAM, ...]).
_S_STORES, _S_PRODUCTS, _S_CUSTOMERS, _S_ORDERS, _S_STORY, _S_FACTORY, _S_PROMO = range(1, 8)

# Planted stories.
RENOVATION_STORE = 0  # index of 上海徐汇店 in the store list
RENOVATION_FACTOR = 0.65  # its sales in the last full month vs the month before
GROWTH_CATEGORY = 1  # index of 饮料 in names.CATEGORIES
GROWTH_TARGET = 1.40
SPIKE_REGION = "华南"
BROKEN_LINE = 1  # index of 二号线 in names.LINES

# Demand shape.
_STORE_WEEKLY = np.array([0.90, 0.87, 0.90, 0.93, 1.05, 1.30, 1.25])
_ONLINE_WEEKLY = np.array([1.00, 0.97, 0.97, 0.99, 1.01, 1.04, 1.06])
_STORE_MONTH = np.array([1.00, 0.96, 0.95, 0.97, 1.00, 1.00, 1.03, 1.03, 0.98, 1.00, 0.98, 1.05])
_CHANNEL_SHARE = np.array([0.55, 0.28, 0.17])  # 门店, 线上, 小程序
_CHANNEL_GROWTH = np.array([1.06, 1.12, 1.25])  # per year
_TYPE_WEIGHT = {"旗舰店": 1.5, "标准店": 1.0, "社区店": 0.6}
_RENOVATION_STORE_WEIGHT = 1.9  # the largest store, so its drop is also the largest in CNY

# Category mix per channel (生鲜, 饮料, 零食, 日化, 家电, 服饰, 母婴).
_CATEGORY_MIX = np.array(
    [
        [0.30, 0.17, 0.20, 0.14, 0.025, 0.065, 0.10],
        [0.10, 0.11, 0.17, 0.20, 0.100, 0.180, 0.14],
        [0.28, 0.16, 0.20, 0.14, 0.030, 0.060, 0.13],
    ]
)
_BEVERAGE_MONTH = np.array([0.80, 0.80, 0.90, 1.00, 1.15, 1.35, 1.50, 1.45, 1.15, 0.95, 0.85, 0.80])
_APPAREL_MONTH = np.array([1.08, 0.92, 1.00, 1.00, 1.00, 0.96, 0.92, 0.92, 1.00, 1.06, 1.12, 1.12])
_EXTRA_QTY_MEAN = np.array([0.8, 1.0, 0.7, 0.35, 0.03, 0.2, 0.4])  # quantity = 1 + Poisson(mean)
_EXTRA_LINES_MEAN = np.array([1.6, 1.3, 1.4])  # lines per order = 1 + Poisson(mean), by channel

# Order attributes by channel.
_STATUS_P = np.array([[0.93, 0.04, 0.03], [0.87, 0.06, 0.07], [0.89, 0.06, 0.05]])
_PAYMENT_P = np.array([[0.47, 0.30, 0.15, 0.08], [0.35, 0.50, 0.15, 0.0], [0.90, 0.0, 0.10, 0.0]])
_ANONYMOUS_STORE_ORDER_P = 0.30
_TRAVELLER_P = 0.10  # store orders by members from another city
_MIN_LOCAL_MEMBERS = 50
_STATUS_DONE, _STATUS_CANCELLED, _STATUS_REFUNDED = 0, 1, 2

# Complaints and returns.
_COMPLAINT_P = np.array([0.004, 0.008, 0.006])  # per non-cancelled order, by channel
_COMPLAINT_CATEGORY_P = np.array(
    [[0.42, 0.38, 0.02, 0.18], [0.35, 0.15, 0.35, 0.15], [0.38, 0.17, 0.30, 0.15]]
)
_SPIKE_CATEGORY_P = np.array([0.62, 0.25, 0.0, 0.13])
_RESOLUTION_MEDIAN_H = np.array([30.0, 14.0, 20.0, 10.0])
_PARTIAL_RETURN_P = 0.02  # share of completed orders with one line returned
_RETURN_REASON_P = np.array(
    [  # 质量问题, 尺码不符, 不想要了, 发错货 by category
        [0.60, 0.00, 0.30, 0.10],
        [0.45, 0.00, 0.45, 0.10],
        [0.40, 0.00, 0.50, 0.10],
        [0.35, 0.00, 0.50, 0.15],
        [0.50, 0.00, 0.40, 0.10],
        [0.20, 0.50, 0.25, 0.05],
        [0.30, 0.15, 0.45, 0.10],
    ]
)


@dataclass(frozen=True)
class DemoBuildInfo:
    """What ``build_demo`` produced."""

    path: Path
    scale: float
    seed: int
    as_of: date
    seconds: float
    size_bytes: int
    row_counts: dict[str, int]


# ============================================================================ calendar


@dataclass(frozen=True)
class Calendar:
    """The data span [Jan 1 of year(D) − 2, D − 1] as day indices, with the story periods.

    Period tuples are half-open day-index ranges ``(first, end)``.
    """

    as_of: date
    start: date
    n_days: int
    dow: np.ndarray  # 0 = Monday
    month: np.ndarray
    dom: np.ndarray
    year: np.ndarray
    sf_offset: np.ndarray  # days from the nearest Spring Festival
    m0: tuple[int, int]  # the month before the last full month
    m1: tuple[int, int]  # the last full month
    w0: tuple[int, int]  # the ISO week before the last full week
    w1: tuple[int, int]  # the last full ISO week

    def index(self, d: date) -> int:
        """Day index of ``d`` (may be outside [0, n_days))."""
        return (d - self.start).days

    def date_of(self, i: int) -> date:
        return self.start + timedelta(days=int(i))

    def chunks(self) -> list[tuple[int, int]]:
        """Calendar months before ``m0``, then one final chunk ``[m0 start, D)``."""
        starts = [0, *np.flatnonzero(self.dom == 1).tolist()]
        starts = sorted({s for s in starts if s < self.m0[0]})
        bounds = [*starts, self.m0[0]]
        return [*pairwise(bounds), (self.m0[0], self.n_days)]


def make_calendar(as_of: date) -> Calendar:
    """Build the calendar for reference date ``as_of`` (D)."""
    start = date(as_of.year - 2, 1, 1)
    n = (as_of - start).days
    days = np.datetime64(start, "D") + np.arange(n)
    months = days.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(int) + 1970
    month = months.astype(int) % 12 + 1
    dom = (days - months).astype(int) + 1
    dow = (days.astype(int) + 3) % 7

    idx = np.arange(n)
    sf_offset = np.full(n, 10_000)
    for y in range(int(year.min()) - 1, int(year.max()) + 2):
        off = idx - (N.spring_festival(y) - start).days
        sf_offset = np.where(np.abs(off) < np.abs(sf_offset), off, sf_offset)

    m1_start = _add_months(as_of.replace(day=1), -1)
    m0_start = _add_months(m1_start, -1)
    week_start = as_of - timedelta(days=as_of.weekday())
    w1_start = week_start - timedelta(days=7)
    w0_start = week_start - timedelta(days=14)

    def rng(a: date, b: date) -> tuple[int, int]:
        return (a - start).days, (b - start).days

    return Calendar(
        as_of=as_of,
        start=start,
        n_days=n,
        dow=dow,
        month=month,
        dom=dom,
        year=year,
        sf_offset=sf_offset,
        m0=rng(m0_start, m1_start),
        m1=rng(m1_start, as_of.replace(day=1)),
        w0=rng(w0_start, w1_start),
        w1=rng(w1_start, week_start),
    )


def _add_months(d: date, k: int) -> date:
    m = d.year * 12 + d.month - 1 + k
    return date(m // 12, m % 12 + 1, 1)


def _window(cal: Calendar, month: int, first: int, last: int) -> np.ndarray:
    """Mask of days in ``month`` with day-of-month in [first, last]."""
    return (cal.month == month) & (cal.dom >= first) & (cal.dom <= last)


def _in(arr: np.ndarray, period: tuple[int, int]) -> np.ndarray:
    return (arr >= period[0]) & (arr < period[1])


# ============================================================================ helpers


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def _choice(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """Draw category codes from probability vector ``p``."""
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int16)


def _choice_rows(rng: np.random.Generator, p_rows: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix (rows need not be normalised)."""
    cum = np.cumsum(p_rows, axis=1)
    u = rng.random(len(p_rows)) * cum[:, -1]
    return (u[:, None] >= cum[:, :-1]).sum(axis=1).astype(np.int16)


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _money(col: str, width: int = 12) -> str:
    """SQL turning integer cents into an exact DECIMAL(width,2)."""
    return f"CAST({col} * 0.01 AS DECIMAL({width},2))"


def _retail_price_cents(p: np.ndarray) -> np.ndarray:
    """Shelf prices: 12.90 below 100 CNY, 299.00 above."""
    small = (np.floor(p) + 0.9) * 100
    large = (np.round(p / 10) * 10 - 1) * 100
    return np.round(np.where(p < 100, small, large)).astype(np.int64)


# ============================================================================ dimensions


@dataclass(frozen=True)
class Stores:
    frame: pd.DataFrame
    open_idx: np.ndarray  # day index of open_date (negative: before the span)
    weight: np.ndarray  # relative order volume of a mature store
    conversion: np.ndarray  # orders / visitors
    city_code: np.ndarray  # index into ``cities``
    cities: tuple[tuple[str, str], ...]  # (city, city_en)
    in_spike_region: np.ndarray


def store_count(scale: float) -> int:
    return max(MIN_STORES, round(STORES_AT_SCALE_1 * scale))


def _store_seeds(n: int, rng: np.random.Generator) -> list[N.StoreSeed]:
    """The first ``n`` stores; past the fixed list, numbered second stores (上海徐汇二店)."""
    seeds = list(N.STORES[:n])
    base = N.STORES
    for i in range(len(base), n):
        b = base[i % len(base)]
        k = i // len(base) + 1
        seeds.append(
            replace(
                b,
                name=f"{b.name[:-1]}{N.chinese_number(k)}店",
                name_en=f"{b.name_en} {k}",
                anchor="span",
                offset_days=int(rng.integers(-2500, 400)),
            )
        )
    return seeds


def make_stores(n: int, cal: Calendar, seed: int) -> Stores:
    rng = _rng(seed, _S_STORES)
    seeds = _store_seeds(n, rng)
    opens = [(cal.start if s.anchor == "span" else cal.as_of) + timedelta(days=s.offset_days) for s in seeds]
    weight = np.array([_TYPE_WEIGHT[s.store_type] for s in seeds]) * rng.uniform(0.85, 1.15, n)
    weight[RENOVATION_STORE] = _RENOVATION_STORE_WEIGHT
    conversion = np.array([{"旗舰店": 0.17, "标准店": 0.21, "社区店": 0.26}[s.store_type] for s in seeds])
    conversion = conversion * rng.uniform(0.9, 1.1, n)
    cities = tuple(dict.fromkeys((s.city, s.city_en) for s in seeds))
    city_code = np.array([cities.index((s.city, s.city_en)) for s in seeds])
    frame = pd.DataFrame(
        {
            "store_id": np.arange(1, n + 1, dtype=np.int32),
            "store_name": [s.name for s in seeds],
            "store_name_en": [s.name_en for s in seeds],
            "city": [s.city for s in seeds],
            "city_en": [s.city_en for s in seeds],
            "province": [s.province for s in seeds],
            "region": [s.region for s in seeds],
            "region_en": [N.REGION_EN[s.region] for s in seeds],
            "store_type": [s.store_type for s in seeds],
            "open_date": [d.isoformat() for d in opens],
            "area_sqm": np.array([s.area_sqm for s in seeds], dtype=np.int32),
        }
    )
    return Stores(
        frame=frame,
        open_idx=np.array([cal.index(d) for d in opens]),
        weight=weight,
        conversion=conversion,
        city_code=city_code,
        cities=cities,
        in_spike_region=np.array([s.region == SPIKE_REGION for s in seeds]),
    )


@dataclass(frozen=True)
class Products:
    frame: pd.DataFrame
    category: np.ndarray  # category index per product
    price_cents: np.ndarray
    cost_cents: np.ndarray
    by_category: tuple[np.ndarray, ...]  # product indices per category
    cdf_by_category: tuple[np.ndarray, ...]  # popularity CDF over those
    private_key: dict[tuple[str, str, int], int]  # (category, item, spec) -> private-label product index


def make_products(seed: int) -> Products:
    """2,000 products: every private-label (item, spec) plus a sample of branded ones."""
    rng = _rng(seed, _S_PRODUCTS)
    rows: list[tuple[int, int, int, int]] = []  # (category, item, brand, spec)
    for c, cat in enumerate(N.CATEGORIES):
        n_specs = 3
        private = [(c, i, 0, s) for i in range(len(cat.items)) for s in range(n_specs)]
        branded = [
            (c, i, b, s)
            for i in range(len(cat.items))
            for b in range(1, len(cat.brands))
            for s in range(n_specs)
        ]
        pick = rng.choice(len(branded), size=cat.n_products - len(private), replace=False)
        rows.extend(sorted(private + [branded[k] for k in pick]))
    arr = np.array(rows)
    cat_i, brand_i = arr[:, 0], arr[:, 2]
    n = len(arr)

    brand_factor = {
        (c, b): (0.85 if b == 0 else rng.uniform(0.95, 1.25))
        for c, cat in enumerate(N.CATEGORIES)
        for b in range(len(cat.brands))
    }
    base, mult, names_zh, names_en, brands, brands_en, lo, hi = [], [], [], [], [], [], [], []
    for c, i, b, s in rows:
        cat = N.CATEGORIES[c]
        item = cat.items[i]
        spec = N.SPEC_GROUPS[item.specs][s]
        brand = cat.brands[b]
        base.append(item.base_price * brand_factor[(c, b)])
        mult.append(spec[2])
        names_zh.append(f"{brand[0]} {item.zh} {spec[0]}")
        names_en.append(f"{brand[1]} {item.en} {spec[1]}")
        brands.append(brand[0])
        brands_en.append(brand[1])
        shift = 0.08 if b == 0 else 0.0  # private label: better margin
        lo.append(cat.cost_ratio[0] - shift)
        hi.append(cat.cost_ratio[1] - shift)
    price = _retail_price_cents(np.array(base) * np.array(mult) * rng.uniform(0.9, 1.12, n))
    cost = np.round(price * rng.uniform(np.array(lo), np.array(hi))).astype(np.int64)
    cost = np.clip(cost, 1, price - 1)

    by_cat, cdfs = [], []
    for c in range(len(N.CATEGORIES)):
        idx = np.flatnonzero(cat_i == c)
        pop = 1.0 / (1.0 + rng.permutation(len(idx))) ** 0.8
        pop = pop * np.where(brand_i[idx] == 0, 1.3, 1.0)
        by_cat.append(idx)
        cdfs.append(np.cumsum(pop) / pop.sum())
    private_key = {
        (N.CATEGORIES[c].zh, N.CATEGORIES[c].items[i].zh, s): k
        for k, (c, i, b, s) in enumerate(rows)
        if b == 0
    }
    frame = pd.DataFrame(
        {
            "product_id": np.arange(1, n + 1, dtype=np.int32),
            "product_name": names_zh,
            "product_name_en": names_en,
            "category": [N.CATEGORIES[c].zh for c in cat_i],
            "category_en": [N.CATEGORIES[c].en for c in cat_i],
            "brand": brands,
            "brand_en": brands_en,
            "price_cents": price,
            "cost_cents": cost,
        }
    )
    return Products(frame, cat_i, price, cost, tuple(by_cat), tuple(cdfs), private_key)


@dataclass(frozen=True)
class CustomerPool:
    """Customers sorted by signup day with cumulative activity weights, for weighted picks."""

    signup: np.ndarray
    ids: np.ndarray
    cum_weight: np.ndarray

    def eligible(self, day: np.ndarray) -> np.ndarray:
        """How many customers had signed up by each ``day``."""
        return np.searchsorted(self.signup, day, side="right")

    def pick(self, day: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A customer id per order, among those signed up by ``day``; −1 if nobody is."""
        n_eligible = np.searchsorted(self.signup, day, side="right")
        total = np.where(n_eligible > 0, self.cum_weight[np.maximum(n_eligible - 1, 0)], 0.0)
        pos = np.minimum(np.searchsorted(self.cum_weight, u * total, side="right"), n_eligible - 1)
        return np.where(n_eligible > 0, self.ids[np.maximum(pos, 0)], -1)


@dataclass(frozen=True)
class Customers:
    frame: pd.DataFrame
    everyone: CustomerPool
    by_city: tuple[CustomerPool, ...]


def _signup_weights(cal: Calendar) -> np.ndarray:
    """Seasonal pattern of new members inside the span (双11, 618, before Spring Festival)."""
    w = 1.10 ** (np.arange(cal.n_days) / 365.25) * np.where(cal.dow >= 5, 1.15, 1.0)
    w = w * np.where(_window(cal, 11, 1, 11), 2.2, 1.0) * np.where(_window(cal, 6, 1, 18), 1.7, 1.0)
    w = w * np.where((cal.sf_offset >= -21) & (cal.sf_offset < 0), 1.4, 1.0)
    w = w * np.where((cal.sf_offset >= 0) & (cal.sf_offset < 7), 0.6, 1.0)
    return w / w.sum()


def make_customers(n: int, cal: Calendar, stores: Stores, seed: int) -> Customers:
    rng = _rng(seed, _S_CUSTOMERS)
    n_cities = len(stores.cities)
    city_weight = np.bincount(stores.city_code, weights=stores.weight, minlength=n_cities)
    city = _choice(rng, city_weight, n)
    level = _choice(rng, np.array([0.55, 0.25, 0.14, 0.06]), n)
    activity = rng.lognormal(0.0, 0.6, n) * np.array([1.0, 1.4, 1.9, 2.6])[level]

    before_span = rng.random(n) < 0.38
    signup = np.where(
        before_span, -rng.integers(1, 5 * 365, n), rng.choice(cal.n_days, size=n, p=_signup_weights(cal))
    )
    # In a city whose first store opened recently, members joined around the opening or later.
    city_open = np.array([stores.open_idx[stores.city_code == c].min() for c in range(n_cities)])[city]
    late = signup < city_open - 30
    lo = city_open - 30
    resampled = lo + np.floor(rng.random(n) * (cal.n_days - lo)).astype(np.int64)
    signup = np.where(late, resampled, signup).astype(np.int64)

    frame = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype=np.int32),
            "gender": (rng.random(n) < 0.57).astype(np.int8),  # 1 = 女
            "age_group": _choice(rng, np.array([0.14, 0.33, 0.26, 0.15, 0.12]), n),
            "member_level": level,
            "city": city,
            "signup_day": signup.astype(np.int32),
            "acquisition_channel": _choice(rng, np.array([0.38, 0.25, 0.24, 0.13]), n),
        }
    )
    return Customers(
        frame=frame,
        everyone=_pool(signup, activity, np.ones(n, dtype=bool)),
        by_city=tuple(_pool(signup, activity, city == c) for c in range(n_cities)),
    )


def _pool(signup: np.ndarray, weight: np.ndarray, mask: np.ndarray) -> CustomerPool:
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(signup[idx], kind="stable")]
    return CustomerPool(signup[order], (order + 1).astype(np.int32), np.cumsum(weight[order]))


@dataclass(frozen=True)
class Promotions:
    frame: pd.DataFrame  # without cost (known only after the orders)
    day_promo: np.ndarray  # promotion index active on each day, −1 if none
    use_prob: np.ndarray  # (n_promos, 2): store, online
    type_code: np.ndarray  # index into names.PROMOTION_TYPES
    member_only: np.ndarray
    base_cost: np.ndarray


def make_promotions(cal: Calendar) -> Promotions:
    """One row per occurrence: yearly festivals plus a monthly 会员日 on the 28th."""
    occ: list[tuple[date, date, N.PromotionKind, str, str]] = []
    K = N.PROMOTION_KINDS
    last_day = cal.as_of - timedelta(days=1)
    for y in range(cal.start.year, last_day.year + 1):
        sf = N.spring_festival(y)
        fixed = [
            (sf - timedelta(days=21), sf - timedelta(days=1), K["new_year_goods"]),
            (date(y, 3, 1), date(y, 3, 8), K["womens_day"]),
            (date(y, 6, 1), date(y, 6, 18), K["mid_year"]),
            (date(y, 10, 1), date(y, 10, 7), K["national_day"]),
            (date(y, 11, 1), date(y, 11, 11), K["double_11"]),
            (date(y, 12, 10), date(y, 12, 12), K["double_12"]),
        ]
        # "2025双11狂欢节", but "2025年618年中大促" where the name starts with a digit.
        occ += [
            (a, b, k, f"{y}{'年' if k.zh[0].isdigit() else ''}{k.zh}", f"{y} {k.en}") for a, b, k in fixed
        ]
        md = K["member_day"]
        occ += [
            (date(y, m, 28), date(y, m, 28), md, f"{y}年{m}月{md.zh}", f"{y}-{m:02d} {md.en}")
            for m in range(1, 13)
            if not any(a <= date(y, m, 28) <= b for a, b, _ in fixed)  # no 会员日 inside a festival
        ]
    occ = sorted(
        (o for o in occ if o[0] <= last_day and o[1] >= cal.start), key=lambda o: (o[0], -o[2].priority)
    )

    day_promo = np.full(cal.n_days, -1, dtype=np.int32)
    for p in sorted(range(len(occ)), key=lambda i: (occ[i][2].priority, i)):
        a, b = max(cal.index(occ[p][0]), 0), min(cal.index(occ[p][1]) + 1, cal.n_days)
        day_promo[a:b] = p
    kinds = [o[2] for o in occ]
    frame = pd.DataFrame(
        {
            "promotion_id": np.arange(1, len(occ) + 1, dtype=np.int32),
            "promotion_name": [o[3] for o in occ],
            "promotion_name_en": [o[4] for o in occ],
            "promotion_type": [k.promotion_type for k in kinds],
            "start_date": [o[0].isoformat() for o in occ],
            "end_date": [o[1].isoformat() for o in occ],
        }
    )
    return Promotions(
        frame=frame,
        day_promo=day_promo,
        use_prob=np.array([[k.use_store, k.use_online] for k in kinds]).reshape(-1, 2),
        type_code=np.array([N.PROMOTION_TYPES.index(k.promotion_type) for k in kinds], dtype=np.int8),
        member_only=np.array([k.key == "member_day" for k in kinds], dtype=bool),
        base_cost=np.array([k.base_cost for k in kinds], dtype=float),
    )


# ============================================================================ demand


def _festival_factors(cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Day multipliers for (stores, online): Spring Festival, 618, 双11, 国庆 and so on."""
    off = cal.sf_offset
    store = np.ones(cal.n_days)
    pre = (off >= -21) & (off <= -2)
    store = np.where(pre, 1.0 + 0.55 * (off + 22) / 20, store)
    store = np.where(off == -1, 1.1, store)
    store = np.where((off >= 0) & (off <= 6), 0.5, store)
    store = np.where((off >= 7) & (off <= 13), 0.8, store)

    online = np.ones(cal.n_days)
    online = np.where((off >= -24) & (off <= -12), 1.25, online)
    online = np.where((off >= -11) & (off <= 6), 0.65, online)
    online = np.where((off >= 7) & (off <= 13), 0.9, online)

    events = [  # (mask, store factor, online factor)
        (_window(cal, 6, 1, 17), 1.05, 1.35),
        (_window(cal, 6, 18, 18), 1.05, 2.8),
        (_window(cal, 11, 1, 10), 1.05, 1.45),
        (_window(cal, 11, 11, 11), 1.05, 3.5),
        (_window(cal, 12, 10, 11), 1.0, 1.4),
        (_window(cal, 12, 12, 12), 1.0, 1.8),
        (_window(cal, 3, 1, 8), 1.05, 1.15),
        (_window(cal, 10, 1, 7), 1.25, 0.95),
        (cal.dom == 28, 1.15, 1.2),
    ]
    for mask, fs, fo in events:
        store = np.where(mask, store * fs, store)
        online = np.where(mask, online * fo, online)
    return store, online


def order_intensity(cal: Calendar, stores: Stores, n_orders: int) -> np.ndarray:
    """Expected orders per (day, source); sources are the stores, then 线上, then 小程序."""
    years = np.arange(cal.n_days) / 365.25
    fest_store, fest_online = _festival_factors(cal)
    store_day = (
        _CHANNEL_GROWTH[0] ** years * _STORE_WEEKLY[cal.dow] * _STORE_MONTH[cal.month - 1] * fest_store
    )
    age = np.arange(cal.n_days)[:, None] - stores.open_idx[None, :]
    ramp = np.where(age >= 0, np.clip(0.55 + 0.45 * age / 90, 0.55, 1.0), 0.0)
    lam_store = store_day[:, None] * stores.weight[None, :] * ramp
    lam_store[cal.m1[0] :, RENOVATION_STORE] *= RENOVATION_FACTOR  # renovation since last month

    online_day = _ONLINE_WEEKLY[cal.dow] * fest_online
    cols = [lam_store / lam_store.sum() * _CHANNEL_SHARE[0]]
    for ch in (1, 2):
        shape = online_day * _CHANNEL_GROWTH[ch] ** years
        cols.append((shape / shape.sum() * _CHANNEL_SHARE[ch])[:, None])
    return np.hstack(cols) * n_orders


def category_mix(cal: Calendar) -> np.ndarray:
    """Category probabilities per (day, channel, category)."""
    season = np.ones((cal.n_days, len(N.CATEGORIES)))
    pre_sf = (cal.sf_offset >= -21) & (cal.sf_offset <= -1)
    season[:, 0] *= np.where(pre_sf, 1.3, 1.0)
    season[:, 1] *= _BEVERAGE_MONTH[cal.month - 1]
    season[:, 2] *= np.where(pre_sf, 1.3, 1.0)
    season[:, 5] *= _APPAREL_MONTH[cal.month - 1]
    mix = _CATEGORY_MIX[None, :, :] * season[:, None, :]
    return mix / mix.sum(axis=2, keepdims=True)


# ============================================================================ orders and lines


@dataclass(frozen=True)
class Orders:
    """A chunk of orders (parallel arrays); store −1 / customer −1 / promo −1 mean NULL."""

    day: np.ndarray
    channel: np.ndarray
    store: np.ndarray
    customer: np.ndarray
    status: np.ndarray
    payment: np.ndarray
    promo: np.ndarray

    def __len__(self) -> int:
        return len(self.day)

    def take(self, keep: np.ndarray) -> Orders:
        return Orders(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class Lines:
    """Order lines of a chunk; ``order`` indexes the chunk's ``Orders``; money in cents."""

    order: np.ndarray
    line_no: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray
    discount: np.ndarray
    amount: np.ndarray
    cost: np.ndarray

    def __len__(self) -> int:
        return len(self.order)

    def take(self, keep: np.ndarray) -> Lines:
        return Lines(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: Sequence[Lines]) -> Lines:
        return Lines(*(np.concatenate([getattr(p, f) for p in parts]) for f in Lines.__dataclass_fields__))


@dataclass(frozen=True)
class World:
    """Everything a chunk generator needs to know about the company."""

    cal: Calendar
    seed: int
    scale: float
    stores: Stores
    products: Products
    customers: Customers
    promos: Promotions
    intensity: np.ndarray
    mix: np.ndarray


def draw_orders(w: World, rng: np.random.Generator, a: int, b: int) -> Orders:
    """Poisson order counts per (day, source) in days [a, b), expanded to one row per order."""
    n_src = w.intensity.shape[1]
    n_stores = n_src - 2
    counts = rng.poisson(w.intensity[a:b]).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    day = (a + cell // n_src).astype(np.int32)
    src = cell % n_src
    channel = np.where(src < n_stores, 0, src - n_stores + 1).astype(np.int8)
    store = np.where(src < n_stores, src, -1).astype(np.int32)
    n = len(day)

    status = _choice_rows(rng, _STATUS_P[channel]).astype(np.int8)
    # A refund needs at least a day to happen before D.
    status[(status == _STATUS_REFUNDED) & (day >= w.cal.n_days - 1)] = _STATUS_DONE
    payment = _choice_rows(rng, _PAYMENT_P[channel]).astype(np.int8)

    u = rng.random(n)
    customer = w.customers.everyone.pick(day, u)
    # Store shoppers are locals, except travellers and while a new city has few members yet.
    local = (channel == 0) & (rng.random(n) >= _TRAVELLER_P)
    city = np.where(local, w.stores.city_code[np.maximum(store, 0)], -1)
    for c, pool in enumerate(w.customers.by_city):
        sel = np.flatnonzero(city == c)
        sel = sel[pool.eligible(day[sel]) >= _MIN_LOCAL_MEMBERS]
        customer[sel] = pool.pick(day[sel], u[sel])
    customer[(channel == 0) & (rng.random(n) < _ANONYMOUS_STORE_ORDER_P)] = -1

    promo = w.promos.day_promo[day]
    has = promo >= 0
    p_use = np.where(has, w.promos.use_prob[np.maximum(promo, 0), np.minimum(channel, 1)], 0.0)
    members_ok = ~w.promos.member_only[np.maximum(promo, 0)] | (customer >= 0)
    promo = np.where(has & members_ok & (rng.random(n) < p_use), promo, -1).astype(np.int32)
    return Orders(day, channel, store, customer.astype(np.int32), status, payment, promo)


def _price_lines(
    w: World, rng: np.random.Generator, product: np.ndarray, promo_type: np.ndarray
) -> tuple[np.ndarray, ...]:
    """(quantity, unit_price, discount, amount, cost) for lines; ``promo_type`` −1 = no promotion."""
    n = len(product)
    cat = w.products.category[product]
    quantity = (1 + rng.poisson(_EXTRA_QTY_MEAN[cat])).astype(np.int32)
    list_price = w.products.price_cents[product]
    member_price = np.round(list_price * rng.uniform(0.85, 0.98, n)).astype(np.int64)
    unit_price = np.maximum(np.where(rng.random(n) < 0.65, list_price, member_price), 1)
    gross = quantity * unit_price
    rate = np.select(
        [promo_type == 0, promo_type == 1, promo_type == 2],
        [rng.uniform(0.06, 0.15, n), rng.uniform(0.08, 0.20, n), np.zeros(n)],
        default=np.where(rng.random(n) < 0.08, rng.uniform(0.02, 0.10, n), 0.0),
    )
    discount = np.floor(gross * rate).astype(np.int64)
    cost = quantity * w.products.cost_cents[product]
    return quantity, unit_price, discount, gross - discount, cost


def _pick_products(w: World, rng: np.random.Generator, cat: np.ndarray) -> np.ndarray:
    product = np.empty(len(cat), dtype=np.int32)
    u = rng.random(len(cat))
    for c, (idx, cdf) in enumerate(zip(w.products.by_category, w.products.cdf_by_category, strict=True)):
        sel = cat == c
        product[sel] = idx[np.minimum(np.searchsorted(cdf, u[sel]), len(idx) - 1)]
    return product


def _number_lines(order: np.ndarray) -> np.ndarray:
    """line_no 1..k within each order, for lines sorted by order."""
    first = np.searchsorted(order, order, side="left")
    return (np.arange(len(order)) - first + 1).astype(np.int32)


def draw_lines(w: World, rng: np.random.Generator, orders: Orders) -> Lines:
    """Lines for each order: category by (day, channel) mix, product by popularity, no duplicates."""
    n_lines = 1 + rng.poisson(_EXTRA_LINES_MEAN[orders.channel])
    order = np.repeat(np.arange(len(orders)), n_lines)
    cat = _choice_rows(rng, w.mix[orders.day[order], orders.channel[order]])
    product = _pick_products(w, rng, cat)
    key = order.astype(np.int64) * len(w.products.category) + product
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    order, product = order[keep], product[keep]
    promo = orders.promo[order]
    promo_type = np.where(promo >= 0, w.promos.type_code[np.maximum(promo, 0)], -1)
    q, up, disc, amount, cost = _price_lines(w, rng, product, promo_type)
    return Lines(order, _number_lines(order), product, q, up, disc, amount, cost)


def _order_gmv(orders: Orders, lines: Lines) -> np.ndarray:
    """GMV per order in cents (0 for cancelled orders)."""
    gmv = np.bincount(lines.order, weights=lines.amount, minlength=len(orders))
    return np.where(orders.status == _STATUS_CANCELLED, 0.0, gmv)


# ============================================================================ planted stories


def _category_ratios(w: World, orders: Orders, lines: Lines) -> tuple[np.ndarray, np.ndarray]:
    """GMV per category in (month before last, last month), cancelled orders excluded."""
    cat = w.products.category[lines.product]
    live = orders.status[lines.order] != _STATUS_CANCELLED
    day = orders.day[lines.order]
    g0, g1 = (
        np.bincount(
            cat[live & _in(day, m)], weights=lines.amount[live & _in(day, m)], minlength=len(N.CATEGORIES)
        )
        for m in (w.cal.m0, w.cal.m1)
    )
    return g0, g1


def plant_category_growth(
    w: World, rng: np.random.Generator, orders: Orders, lines: Lines, growth: float
) -> Lines:
    """Add 饮料 lines to last-month orders until the category grows by ``growth`` (e.g. 1.40).

    The target is raised to stay 0.20 above every other category when a season
    (618, 双11) lifts them, so 饮料 is always clearly the fastest-growing.
    """
    cal = w.cal
    g0, g1 = _category_ratios(w, orders, lines)
    ratio = np.divide(g1, g0, out=np.ones(len(g0)), where=g0 > 0)
    target = max(growth, float(np.delete(ratio, GROWTH_CATEGORY).max()) + 0.20)
    gap = target * g0[GROWTH_CATEGORY] - g1[GROWTH_CATEGORY]
    hosts = np.flatnonzero(_in(orders.day, cal.m1) & (orders.status != _STATUS_CANCELLED))
    if gap <= 0 or len(hosts) == 0:
        return lines

    idx, cdf = w.products.by_category[GROWTH_CATEGORY], w.products.cdf_by_category[GROWTH_CATEGORY]
    mean_amount = float(np.mean(w.products.price_cents[idx])) * 1.5
    n_cand = int(gap / mean_amount * 1.5) + 50
    while True:  # draw candidate lines until their total covers the gap
        product = idx[np.minimum(np.searchsorted(cdf, rng.random(n_cand)), len(idx) - 1)].astype(np.int32)
        q, up, disc, amount, cost = _price_lines(w, rng, product, np.full(n_cand, -1))
        total = np.cumsum(amount)
        if total[-1] >= gap:
            break
        n_cand *= 2
    k = int(np.searchsorted(total - amount / 2, gap))
    host = np.sort(rng.choice(hosts, size=k, replace=True)).astype(lines.order.dtype)
    added = Lines(host, np.zeros(k, np.int32), product[:k], q[:k], up[:k], disc[:k], amount[:k], cost[:k])
    merged = Lines.concat([lines, added])
    merged = merged.take(np.argsort(merged.order, kind="stable"))
    # Keep one line per product within an order: drop added duplicates of existing lines.
    key = merged.order.astype(np.int64) * len(w.products.category) + merged.product
    _, first = np.unique(key, return_index=True)
    merged = merged.take(np.sort(first))
    return replace(merged, line_no=_number_lines(merged.order))


def plant_store_drop(w: World, rng: np.random.Generator, orders: Orders, lines: Lines) -> np.ndarray:
    """Thin orders so 上海徐汇店 drops ~35% last month and other stores stay within ±10% of typical.

    "Typical" is the month-over-month change the demand model expects for the other
    mature stores (seasonality, growth), so small-scale sampling noise common to all
    stores is also taken out. Returns the mask of orders to keep.
    """
    cal, n_stores = w.cal, len(w.stores.weight)
    gmv = _order_gmv(orders, lines)
    in_store = orders.channel == 0
    months = (cal.m0, cal.m1)
    totals = [
        np.bincount(
            orders.store[in_store & _in(orders.day, m)],
            weights=gmv[in_store & _in(orders.day, m)],
            minlength=n_stores,
        )
        for m in months
    ]
    g0, g1 = totals
    mature = (w.stores.open_idx <= cal.m0[0]) & (g0 > 0) & (g1 > 0)
    ratio = np.divide(g1, g0, out=np.ones(n_stores), where=g0 > 0)
    others = mature.copy()
    others[RENOVATION_STORE] = False
    lam = w.intensity[:, :n_stores][:, others]
    typical = (
        float(lam[cal.m1[0] : cal.m1[1]].sum() / lam[cal.m0[0] : cal.m0[1]].sum()) if others.any() else 1.0
    )

    target = np.full(n_stores, np.nan)
    off_band = others & ((ratio < typical * 0.9) | (ratio > typical * 1.1))
    target[off_band] = typical * rng.uniform(0.93, 1.07, n_stores)[off_band]
    if mature[RENOVATION_STORE]:
        target[RENOVATION_STORE] = RENOVATION_FACTOR * min(1.0, typical) * rng.uniform(0.98, 1.02)

    keep = np.ones(len(orders), dtype=bool)
    priority = rng.random(len(orders))
    for s in np.flatnonzero(~np.isnan(target)):
        if ratio[s] > target[s]:  # too high: remove from the last month
            month, budget = cal.m1, g1[s] - target[s] * g0[s]
        else:  # too low: remove from the month before
            month, budget = cal.m0, g0[s] - g1[s] / target[s]
        cand = np.flatnonzero(in_store & (orders.store == s) & _in(orders.day, month))
        cand = cand[np.argsort(priority[cand], kind="stable")]
        keep[cand[_fill_budget(gmv[cand], budget)]] = False
    return keep


def _fill_budget(values: np.ndarray, budget: float, passes: int = 4) -> np.ndarray:
    """Mask of items (taken in the given order) whose sum comes close to ``budget`` without exceeding it.

    Each pass takes the longest prefix that fits among items no larger than what is
    left, so one big order cannot overshoot the budget at small scales.
    """
    taken = np.zeros(len(values), dtype=bool)
    left = budget
    for _ in range(passes):
        fits = ~taken & (values <= left) & (values > 0)
        idx = np.flatnonzero(fits)
        if len(idx) == 0:
            break
        chosen = idx[np.cumsum(values[idx]) <= left]
        taken[chosen] = True
        left -= float(values[chosen].sum())
    return taken


def plant_complaint_spike(
    w: World, rng: np.random.Generator, complaints: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Add 华南 store complaints in the last full week so they roughly triple vs the week before."""
    cal = w.cal
    store = complaints["store"]
    south = (store >= 0) & w.stores.in_spike_region[np.maximum(store, 0)]
    c0 = int(np.sum(south & _in(complaints["day"], cal.w0)))
    c1 = int(np.sum(south & _in(complaints["day"], cal.w1)))
    extra = max(round(3 * max(c0, 2)) - c1, 0)
    lam = w.intensity[cal.w1[0] : cal.w1[1], : len(w.stores.weight)] * w.stores.in_spike_region[None, :]
    if extra == 0 or lam.sum() == 0:
        return complaints
    cell = rng.choice(lam.size, size=extra, p=(lam / lam.sum()).ravel())
    n_stores = lam.shape[1]
    spike = {
        "day": (cal.w1[0] + cell // n_stores).astype(np.int32),
        "store": (cell % n_stores).astype(np.int32),
        "channel": np.zeros(extra, np.int8),
        "category": _choice(rng, _SPIKE_CATEGORY_P, extra).astype(np.int8),
    }
    merged = {k: np.concatenate([complaints[k], spike[k]]) for k in spike}
    order = np.lexsort((merged["store"], merged["day"]))
    return {k: v[order] for k, v in merged.items()}


# ============================================================================ derived facts


def draw_complaints(w: World, rng: np.random.Generator, orders: Orders) -> dict[str, np.ndarray]:
    """Complaints raised by a share of non-cancelled orders, 0–2 days after the order."""
    live = orders.status != _STATUS_CANCELLED
    hit = np.flatnonzero(live & (rng.random(len(orders)) < _COMPLAINT_P[orders.channel]))
    lag = _choice(rng, np.array([0.5, 0.3, 0.2]), len(hit))
    day = np.minimum(orders.day[hit] + lag, w.cal.n_days - 1).astype(np.int32)
    channel = orders.channel[hit]
    category = _choice_rows(rng, _COMPLAINT_CATEGORY_P[channel]).astype(np.int8)
    order = np.lexsort((orders.store[hit], day))
    return {
        "day": day[order],
        "store": orders.store[hit][order],
        "channel": channel[order],
        "category": category[order],
    }


def complaint_outcomes(w: World, rng: np.random.Generator, c: dict[str, np.ndarray]) -> pd.DataFrame:
    """Resolution hours and resolved flag; recent and 华南-spike complaints are slower to close."""
    n = len(c["day"])
    recent = c["day"] >= w.cal.n_days - 7
    spike = _in(c["day"], w.cal.w1) & (c["store"] >= 0) & w.stores.in_spike_region[np.maximum(c["store"], 0)]
    hours = _RESOLUTION_MEDIAN_H[c["category"]] * rng.lognormal(0.0, 0.7, n) * np.where(spike, 1.8, 1.0)
    resolved = rng.random(n) < np.where(recent, 0.55, np.where(spike, 0.8, 0.93))
    return pd.DataFrame(
        {
            "day": c["day"],
            "store": c["store"],
            "channel": c["channel"],
            "category": c["category"],
            "resolution_hours": np.where(resolved, np.round(hours, 1), np.nan),
            "resolved": resolved,
        }
    )


def draw_returns(w: World, rng: np.random.Generator, orders: Orders, lines: Lines) -> pd.DataFrame:
    """Returns for refunded orders (all lines or one) and a few completed orders (one line, partly)."""
    n_orders = len(orders)
    n_days_left = w.cal.n_days - 1 - orders.day  # a return needs return_date in [order+1, D-1]
    refunded = (orders.status == _STATUS_REFUNDED) & (n_days_left >= 1)
    partial = (
        (orders.status == _STATUS_DONE) & (n_days_left >= 1) & (rng.random(n_orders) < _PARTIAL_RETURN_P)
    )
    all_lines = rng.random(n_orders) < 0.6
    n_in_order = np.bincount(lines.order, minlength=n_orders)
    chosen_line = np.floor(rng.random(n_orders) * np.maximum(n_in_order, 1)).astype(np.int64) + 1
    o = lines.order
    take = (refunded[o] & (all_lines[o] | (lines.line_no == chosen_line[o]))) | (
        partial[o] & (lines.line_no == chosen_line[o])
    )
    idx = np.flatnonzero(take)
    qty = lines.quantity[idx]
    o = o[idx]
    ret_qty = np.where(refunded[o], qty, 1 + np.floor(rng.random(len(idx)) * qty).astype(np.int64))
    refund = lines.amount[idx] * ret_qty // qty
    lag = 1 + np.floor(rng.random(len(idx)) * np.minimum(20, n_days_left[o])).astype(np.int64)
    cat = w.products.category[lines.product[idx]]
    reason_p = _RETURN_REASON_P[cat].copy()
    in_store = orders.channel[o] == 0
    reason_p[in_store, 2] += reason_p[in_store, 3]  # no wrong shipments in a store
    reason_p[in_store, 3] = 0.0
    return pd.DataFrame(
        {
            "order_pos": o,
            "product": lines.product[idx],
            "day": orders.day[o] + lag,
            "quantity": ret_qty.astype(np.int32),
            "refund_cents": refund.astype(np.int64),
            "reason": _choice_rows(rng, reason_p).astype(np.int8),
        }
    )


def draw_traffic(w: World, rng: np.random.Generator, orders: Orders, a: int, b: int) -> pd.DataFrame:
    """Visitors per open store per day: expected orders over the store's conversion, ≥ orders."""
    n_stores = len(w.stores.weight)
    in_store = orders.channel == 0
    counts = np.bincount(
        (orders.day[in_store] - a) * n_stores + orders.store[in_store], minlength=(b - a) * n_stores
    ).reshape(b - a, n_stores)
    lam = w.intensity[a:b, :n_stores] / w.stores.conversion[None, :]
    visitors = np.maximum(rng.poisson(lam * rng.lognormal(0.0, 0.08, lam.shape)), counts)
    day = np.arange(a, b)[:, None] + np.zeros((1, n_stores), dtype=np.int64)
    store = np.zeros((b - a, 1), dtype=np.int64) + np.arange(n_stores)[None, :]
    is_open = day >= w.stores.open_idx[None, :]
    return pd.DataFrame(
        {
            "day": day[is_open].astype(np.int32),
            "store": store[is_open].astype(np.int32),
            "visitors": visitors[is_open].astype(np.int32),
        }
    )


# ============================================================================ factory


def make_factory(cal: Calendar, products: Products, seed: int) -> dict[str, pd.DataFrame]:
    """Production lines, machine days, output per line/product/day and B2B deliveries."""
    rng = _rng(seed, _S_FACTORY)
    n = cal.n_days
    day = np.arange(n)
    lines = pd.DataFrame(
        {
            "line_id": np.arange(1, len(N.LINES) + 1, dtype=np.int32),
            "line_name": [ln.name for ln in N.LINES],
            "line_name_en": [ln.name_en for ln in N.LINES],
            "plant": [ln.plant for ln in N.LINES],
            "plant_en": [ln.plant_en for ln in N.LINES],
            "workshop": [ln.workshop for ln in N.LINES],
            "workshop_en": [ln.workshop_en for ln in N.LINES],
        }
    )
    broken = np.zeros(n, dtype=bool)
    broken[cal.m1[0] : cal.m1[1]] = True

    equipment, production = [], []
    eq_id = 0
    for li, line in enumerate(N.LINES):
        is_broken = broken & (li == BROKEN_LINE)
        base_util = rng.uniform(0.84, 0.89)
        planned = np.where(
            (cal.dow == 6) & (line.planned_minutes < 1440), line.planned_minutes // 2, line.planned_minutes
        )
        running_sum = np.zeros(n)
        for machine in line.machines:
            eq_id += 1
            util = np.clip(
                rng.normal(np.where(is_broken, 0.66, base_util), np.where(is_broken, 0.06, 0.035)), 0.3, 0.99
            )
            failures = rng.poisson(np.where(is_broken, 0.9, 0.12))
            running = np.round(planned * util) - failures * rng.integers(20, 60, n)
            running = np.clip(running, 0, planned).astype(np.int32)
            running_sum += running
            equipment.append(
                pd.DataFrame(
                    {
                        "day": day,
                        "equipment_id": eq_id,
                        "equipment_name": f"{line.name}-{machine}-01",
                        "line_id": li + 1,
                        "planned": planned.astype(np.int32),
                        "running": running,
                        "failures": failures.astype(np.int32),
                    }
                )
            )
        line_minutes = running_sum / len(line.machines)
        for cat_zh, item_zh in line.makes:
            for spec in (0, 1):
                pid = products.private_key[(cat_zh, item_zh, spec)]
                rate = rng.uniform(1.5, 4.0) if cat_zh == "饮料" else rng.uniform(0.6, 2.0)
                produced = np.round(rate * line_minutes * rng.lognormal(0.0, 0.05, n)).astype(np.int64)
                yield_rate = np.clip(
                    rng.normal(np.where(is_broken, 0.90, 0.972), np.where(is_broken, 0.012, 0.006)),
                    0.8,
                    0.995,
                )
                production.append(
                    pd.DataFrame(
                        {
                            "day": day,
                            "line_id": li + 1,
                            "product_id": pid + 1,
                            "produced": produced,
                            "good": np.floor(produced * yield_rate).astype(np.int64),
                        }
                    )
                )
    equipment_df = pd.concat(equipment).sort_values(["day", "equipment_id"], kind="stable")
    production_df = pd.concat(production).sort_values(["day", "line_id", "product_id"], kind="stable")
    return {
        "lines": lines,
        "equipment": equipment_df,
        "production": production_df,
        "deliveries": _deliveries(cal, rng, broken),
    }


def _deliveries(cal: Calendar, rng: np.random.Generator, broken: np.ndarray) -> pd.DataFrame:
    n_lines, n = len(N.LINES), cal.n_days
    counts = rng.poisson(1.1, (n, n_lines)).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    order_day, line = cell // n_lines, cell % n_lines
    k = len(cell)
    promised = order_day + rng.integers(3, 11, k)
    late_p = np.where((line == BROKEN_LINE) & broken[order_day], 0.45, 0.10)
    late = rng.random(k) < late_p
    delivered = np.where(
        late, promised + rng.integers(1, 6, k), np.maximum(promised - rng.integers(0, 3, k), order_day + 1)
    )
    keep = np.maximum(promised, delivered) < n
    dist_w = np.linspace(1.6, 0.6, len(N.DISTRIBUTORS))
    return pd.DataFrame(
        {
            "distributor": _choice(rng, dist_w, k)[keep],
            "line_id": (line + 1)[keep].astype(np.int32),
            "order_day": order_day[keep],
            "promised_day": promised[keep],
            "delivered_day": delivered[keep],
            "quantity": (np.round(rng.uniform(300, 3000, k) / 50) * 50).astype(np.int32)[keep],
        }
    )


# ============================================================================ database


_DDL = """
CREATE TABLE wenshu_meta (key VARCHAR, value VARCHAR);
CREATE TABLE dim_store (store_id INTEGER, store_name VARCHAR, store_name_en VARCHAR, city VARCHAR,
    city_en VARCHAR, province VARCHAR, region VARCHAR, region_en VARCHAR, store_type VARCHAR,
    open_date DATE, area_sqm INTEGER);
CREATE TABLE dim_product (product_id INTEGER, product_name VARCHAR, product_name_en VARCHAR,
    category VARCHAR, category_en VARCHAR, brand VARCHAR, brand_en VARCHAR,
    list_price DECIMAL(10,2), unit_cost DECIMAL(10,2));
CREATE TABLE dim_customer (customer_id INTEGER, gender VARCHAR, age_group VARCHAR, member_level VARCHAR,
    city VARCHAR, city_en VARCHAR, signup_date DATE, acquisition_channel VARCHAR);
CREATE TABLE dim_promotion (promotion_id INTEGER, promotion_name VARCHAR, promotion_name_en VARCHAR,
    promotion_type VARCHAR, start_date DATE, end_date DATE, cost DECIMAL(12,2));
CREATE TABLE fact_orders (order_id BIGINT, order_date DATE, store_id INTEGER, channel VARCHAR,
    customer_id INTEGER, status VARCHAR, payment_method VARCHAR, promotion_id INTEGER);
CREATE TABLE fact_order_items (order_id BIGINT, line_no INTEGER, product_id INTEGER, quantity INTEGER,
    unit_price DECIMAL(10,2), discount DECIMAL(12,2), amount DECIMAL(12,2), cost DECIMAL(12,2));
CREATE TABLE fact_store_traffic (traffic_date DATE, store_id INTEGER, visitors INTEGER);
CREATE TABLE fact_returns (return_id BIGINT, order_id BIGINT, product_id INTEGER, return_date DATE,
    quantity INTEGER, refund_amount DECIMAL(12,2), reason VARCHAR);
CREATE TABLE fact_complaints (complaint_id BIGINT, complaint_date DATE, store_id INTEGER, channel VARCHAR,
    category VARCHAR, resolution_hours DOUBLE, resolved BOOLEAN);
CREATE TABLE dim_production_line (line_id INTEGER, line_name VARCHAR, line_name_en VARCHAR, plant VARCHAR,
    plant_en VARCHAR, workshop VARCHAR, workshop_en VARCHAR);
CREATE TABLE fact_equipment_daily (record_date DATE, equipment_id INTEGER, equipment_name VARCHAR,
    line_id INTEGER, planned_minutes INTEGER, running_minutes INTEGER, downtime_minutes INTEGER,
    failure_count INTEGER);
CREATE TABLE fact_production_daily (record_date DATE, line_id INTEGER, product_id INTEGER,
    produced_qty INTEGER, good_qty INTEGER);
CREATE TABLE fact_deliveries (delivery_id BIGINT, distributor VARCHAR, line_id INTEGER, order_date DATE,
    promised_date DATE, delivered_date DATE, quantity INTEGER);
"""

TABLES: tuple[str, ...] = (
    "dim_store",
    "dim_product",
    "dim_customer",
    "dim_promotion",
    "fact_orders",
    "fact_order_items",
    "fact_store_traffic",
    "fact_returns",
    "fact_complaints",
    "dim_production_line",
    "fact_equipment_daily",
    "fact_production_daily",
    "fact_deliveries",
    "wenshu_meta",
)


class _Writer:
    """Inserts staged DataFrames into the typed tables, assigning running ids."""

    def __init__(self, con: duckdb.DuckDBPyConnection, cal: Calendar):
        self.con = con
        self.day0 = f"DATE '{cal.start.isoformat()}'"
        self.next_id = {"order": 1, "return": 1, "complaint": 1}

    def insert(self, table: str, frame: pd.DataFrame, select: str) -> None:
        self.con.register("_stage", frame)
        try:
            self.con.execute(f"INSERT INTO {table} SELECT {select} FROM _stage")
        finally:
            self.con.unregister("_stage")

    def date(self, col: str) -> str:
        return f"{self.day0} + CAST({col} AS INTEGER)"

    def take_ids(self, kind: str, n: int) -> int:
        first = self.next_id[kind]
        self.next_id[kind] += n
        return first


def _write_dimensions(wr: _Writer, w: World) -> None:
    wr.insert("dim_store", w.stores.frame, "* REPLACE (CAST(open_date AS DATE) AS open_date)")
    wr.insert(
        "dim_product",
        w.products.frame,
        "product_id, product_name, product_name_en, category, category_en, brand, brand_en, "
        f"{_money('price_cents', 10)}, {_money('cost_cents', 10)}",
    )
    cities = [c for c, _ in w.stores.cities]
    cities_en = [e for _, e in w.stores.cities]
    wr.insert(
        "dim_customer",
        w.customers.frame,
        f"customer_id, {_sql_list(N.GENDERS)}[gender + 1], {_sql_list(N.AGE_GROUPS)}[age_group + 1], "
        f"{_sql_list(N.MEMBER_LEVELS)}[member_level + 1], {_sql_list(cities)}[city + 1], "
        f"{_sql_list(cities_en)}[city + 1], {wr.date('signup_day')}, "
        f"{_sql_list(N.ACQUISITION_CHANNELS)}[acquisition_channel + 1]",
    )


def _write_chunk(
    wr: _Writer,
    w: World,
    orders: Orders,
    lines: Lines,
    returns: pd.DataFrame,
    complaints: pd.DataFrame,
    traffic: pd.DataFrame,
) -> None:
    first_order = wr.take_ids("order", len(orders))
    wr.insert(
        "fact_orders",
        pd.DataFrame(
            {
                "day": orders.day,
                "store": orders.store,
                "channel": orders.channel,
                "customer": orders.customer,
                "status": orders.status,
                "payment": orders.payment,
                "promo": orders.promo,
                "order_id": np.arange(first_order, first_order + len(orders), dtype=np.int64),
            }
        ),
        f"order_id, {wr.date('day')}, nullif(store + 1, 0), "
        f"{_sql_list(N.CHANNELS)}[channel + 1], nullif(customer, -1), "
        f"{_sql_list(N.ORDER_STATUSES)}[status + 1], "
        f"{_sql_list(N.PAYMENT_METHODS)}[payment + 1], nullif(promo + 1, 0)",
    )
    wr.insert(
        "fact_order_items",
        pd.DataFrame(
            {
                "order_id": lines.order.astype(np.int64) + first_order,
                "line_no": lines.line_no,
                "product_id": lines.product + 1,
                "quantity": lines.quantity,
                "unit_price": lines.unit_price,
                "discount": lines.discount,
                "amount": lines.amount,
                "cost": lines.cost,
            }
        ),
        f"order_id, line_no, product_id, quantity, {_money('unit_price', 10)}, {_money('discount')}, "
        f"{_money('amount')}, {_money('cost')}",
    )
    returns = returns.sort_values(["day", "order_pos", "product"], kind="stable")
    first_return = wr.take_ids("return", len(returns))
    returns = returns.assign(
        order_id=returns["order_pos"].to_numpy().astype(np.int64) + first_order,
        return_id=np.arange(first_return, first_return + len(returns), dtype=np.int64),
    )
    wr.insert(
        "fact_returns",
        returns,
        f"return_id, order_id, product + 1, {wr.date('day')}, quantity, "
        f"{_money('refund_cents')}, {_sql_list(N.RETURN_REASONS)}[reason + 1]",
    )
    first_complaint = wr.take_ids("complaint", len(complaints))
    complaints = complaints.assign(
        complaint_id=np.arange(first_complaint, first_complaint + len(complaints), dtype=np.int64)
    )
    wr.insert(
        "fact_complaints",
        complaints,
        f"complaint_id, {wr.date('day')}, nullif(store + 1, 0), "
        f"{_sql_list(N.CHANNELS)}[channel + 1], {_sql_list(N.COMPLAINT_CATEGORIES)}[category + 1], "
        "resolution_hours, resolved",
    )
    wr.insert("fact_store_traffic", traffic, f"{wr.date('day')}, store + 1, visitors")


def _write_promotions(wr: _Writer, w: World, discount_cents: np.ndarray) -> None:
    rng = _rng(w.seed, _S_PROMO)
    spend = w.promos.base_cost * max(w.scale, 0.05) * rng.uniform(0.85, 1.15, len(discount_cents))
    frame = w.promos.frame.assign(cost_cents=np.round(discount_cents + spend * 100).astype(np.int64))
    wr.insert(
        "dim_promotion",
        frame,
        "promotion_id, promotion_name, promotion_name_en, promotion_type, CAST(start_date AS DATE), "
        f"CAST(end_date AS DATE), {_money('cost_cents')}",
    )


def _write_factory(wr: _Writer, factory: dict[str, pd.DataFrame]) -> None:
    wr.insert("dim_production_line", factory["lines"], "*")
    wr.insert(
        "fact_equipment_daily",
        factory["equipment"],
        f"{wr.date('day')}, equipment_id, equipment_name, line_id, planned, running, planned - running, "
        "failures",
    )
    wr.insert(
        "fact_production_daily",
        factory["production"],
        f"{wr.date('day')}, line_id, product_id, produced, good",
    )
    deliveries = factory["deliveries"]
    deliveries = deliveries.assign(delivery_id=np.arange(1, len(deliveries) + 1, dtype=np.int64))
    wr.insert(
        "fact_deliveries",
        deliveries,
        f"delivery_id, {_sql_list(N.DISTRIBUTORS)}[distributor + 1], line_id, "
        f"{wr.date('order_day')}, {wr.date('promised_day')}, {wr.date('delivered_day')}, quantity",
    )


# ============================================================================ build


def make_world(as_of: date, scale: float, seed: int) -> World:
    """All dimensions and demand curves for (as_of, scale, seed)."""
    cal = make_calendar(as_of)
    stores = make_stores(store_count(scale), cal, seed)
    return World(
        cal=cal,
        seed=seed,
        scale=scale,
        stores=stores,
        products=make_products(seed),
        customers=make_customers(max(100, round(CUSTOMERS_AT_SCALE_1 * scale)), cal, stores, seed),
        promos=make_promotions(cal),
        intensity=order_intensity(cal, stores, round(ORDERS_AT_SCALE_1 * scale)),
        mix=category_mix(cal),
    )


def _generate_chunk(
    w: World, wr: _Writer, k: int, a: int, b: int, final: bool, promo_discount: np.ndarray
) -> None:
    rng = _rng(w.seed, _S_ORDERS, k)
    orders = draw_orders(w, rng, a, b)
    lines = draw_lines(w, rng, orders)
    if final:
        story = _rng(w.seed, _S_STORY)
        growth = GROWTH_TARGET * story.uniform(0.97, 1.03)
        lines = plant_category_growth(w, story, orders, lines, growth)
        keep = plant_store_drop(w, story, orders, lines)
        new_pos = np.cumsum(keep) - 1
        line_keep = keep[lines.order]
        lines = replace(lines.take(line_keep), order=new_pos[lines.order[line_keep]])
        orders = orders.take(keep)
        lines = plant_category_growth(w, story, orders, lines, growth)  # top up what thinning took
    complaints = draw_complaints(w, rng, orders)
    if final:
        complaints = plant_complaint_spike(w, story, complaints)
    live_promo = (orders.promo[lines.order] >= 0) & (orders.status[lines.order] != _STATUS_CANCELLED)
    promo_discount += np.bincount(
        orders.promo[lines.order][live_promo],
        weights=lines.discount[live_promo],
        minlength=len(promo_discount),
    )
    _write_chunk(
        wr,
        w,
        orders,
        lines,
        draw_returns(w, rng, orders, lines),
        complaint_outcomes(w, rng, complaints),
        draw_traffic(w, rng, orders, a, b),
    )


def _fetch_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    row = con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"no row from {sql!r}")
    return row


def _tmp_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.tmp")


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def build_demo(
    out: Path,
    *,
    scale: float = 1.0,
    as_of: date,
    seed: int = 42,
    progress: ProgressFn | None = None,
) -> DemoBuildInfo:
    """Generate the demo database at ``out`` (atomically replacing any existing file)."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    t0 = time.perf_counter()
    report = progress or (lambda step, frac: None)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(out)
    _remove(tmp)
    try:
        report("dimensions", 0.0)
        w = make_world(as_of, scale, seed)
        con = duckdb.connect(str(tmp))
        try:
            con.execute(_DDL)
            wr = _Writer(con, w.cal)
            _write_dimensions(wr, w)
            report("dimensions", 0.05)
            chunks = w.cal.chunks()
            promo_discount = np.zeros(len(w.promos.frame))
            for k, (a, b) in enumerate(chunks):
                _generate_chunk(w, wr, k, a, b, k == len(chunks) - 1, promo_discount)
                report(f"orders {w.cal.date_of(a):%Y-%m}", 0.05 + 0.85 * b / w.cal.n_days)
            _write_promotions(wr, w, promo_discount)
            _write_factory(wr, make_factory(w.cal, w.products, seed))
            report("factory", 0.95)
            meta = pd.DataFrame(
                {
                    "key": ["as_of", "seed", "scale", "generator_version"],
                    "value": [as_of.isoformat(), str(seed), repr(float(scale)), GENERATOR_VERSION],
                }
            )
            wr.insert("wenshu_meta", meta, "*")
            row_counts = {t: int(_fetch_row(con, f"SELECT count(*) FROM {t}")[0]) for t in TABLES}
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _remove(out)
        os.replace(tmp, out)
    except BaseException:
        _remove(tmp)
        raise
    report("done", 1.0)
    return DemoBuildInfo(
        path=out,
        scale=scale,
        seed=seed,
        as_of=as_of,
        seconds=time.perf_counter() - t0,
        size_bytes=out.stat().st_size,
        row_counts=row_counts,
    )


def table_checksums(path: Path) -> dict[str, str]:
    """A content checksum per table (row count + order-independent row hashes)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' ORDER BY table_name"
            ).fetchall()
        ]
        sums = {}
        for t in tables:
            n, xor, total = _fetch_row(con, f'SELECT count(*), bit_xor(hash(t)), sum(hash(t)) FROM "{t}" t')
            sums[t] = f"{n}:{xor}:{total}"
        return sums
    finally:
        con.close()
