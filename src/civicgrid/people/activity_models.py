"""Activities and the public-welfare supermarket (志愿活动 · 公益超市): a community's
campaigns (绿地认领, 扶老助困, 文明行动) that its people sign up to and attend, earning
service hours and points in the ledger (``LedgerEntry``), and the supermarket where
staff hand out goods for points.

Written only by ``civicgrid.people.activities`` (one ``PeopleEvent`` per change, through
``actions.record``); imported at the bottom of ``people.models`` so Django finds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.org.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.org.models import User
    from civicgrid.people.models import Person


def own_communities(user: User | AnonymousUser) -> list[int]:
    """The communities whose activities and shop a person with an account belongs to:
    the community of their home grid and the one they report to (在职党员)."""
    from civicgrid.people.models import Person

    if not user.is_authenticated:
        return []
    found: list[int] = []
    for parent, reports_to in Person.objects.filter(user_id=user.pk, active=True).values_list(
        "home_grid__parent_id", "reports_to_id"
    ):
        found += [pk for pk in (parent, reports_to) if pk is not None]
    return found


def communities_of(person: Person) -> set[int]:
    """The community ids ``person`` lives in or reports to."""
    found = set()
    if person.home_grid_id is not None:
        parent = person.home_grid.parent_id if person.home_grid else None
        if parent is not None:
            found.add(parent)
    if person.reports_to_id is not None:
        found.add(person.reports_to_id)
    return found


def _scoped(rows: models.QuerySet, user: User | AnonymousUser, unit: str):  # type: ignore[type-arg, no-untyped-def]
    """Rows whose ``unit`` lies in ``user``'s reach, or in their own communities."""
    from civicgrid.people.models import reach_ids

    ids = reach_ids(user)
    if ids is None:
        return rows.all()
    return rows.filter(Q(**{f"{unit}__in": ids}) | Q(**{f"{unit}__in": own_communities(user)}))


class ActivityKind(models.TextChoices):
    GREEN_ADOPTION = "green_adoption", _("green space adoption")  # 绿地认领
    ELDERLY_HELP = "elderly_help", _("help for the elderly and needy")  # 扶老助困
    CIVILITY = "civility", _("civility campaign")  # 文明行动
    OTHER = "other", _("other activity")


class ActivityState(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", pgettext_lazy("activity", "held")
    CANCELLED = "cancelled", _("cancelled")


class ActivityQuerySet(models.QuerySet["Activity"]):
    def visible_to(self, user: User | AnonymousUser) -> ActivityQuerySet:
        """The activities of units in ``user``'s scope, and of the communities their
        person lives in or reports to (their phone page)."""
        return _scoped(self, user, "unit_id")


class Activity(models.Model):
    """A community's or village's activity on one day: people sign up (up to the
    capacity), and those who attend earn its hours and points."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=100)
    detail = models.TextField(_("detail"), blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    day = models.DateField(_("day"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("places"))
    hours = models.DecimalField(_("service hours"), max_digits=4, decimal_places=1)
    points = models.PositiveIntegerField(_("points"))
    state = models.CharField(
        _("state"), max_length=16, choices=ActivityState.choices, default=ActivityState.PLANNED
    )
    created_at = models.DateTimeField(_("created at"))

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-day", "-starts", "-pk"]
        indexes = [models.Index(fields=["unit", "day"], name="activities_of_unit")]

    def __str__(self) -> str:
        return f"{self.title} · {self.day:%Y-%m-%d}"


class SignUpState(models.TextChoices):
    SIGNED = "signed", _("signed up")
    ATTENDED = "attended", _("attended")
    ABSENT = "absent", _("did not come")
    CANCELLED = "cancelled", _("sign-up cancelled")


class SignUp(models.Model):
    """A person's place at an activity (报名), then whether they came."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="sign_ups"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="sign_ups"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=SignUpState.choices, default=SignUpState.SIGNED
    )
    signed_at = models.DateTimeField(_("signed up at"))

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="one_sign_up_a_person")
        ]
        indexes = [models.Index(fields=["person", "activity"], name="sign_ups_of_person")]

    def __str__(self) -> str:
        return f"{self.person} · {self.activity}"


class ShopQuerySet(models.QuerySet["Shop"]):
    def visible_to(self, user: User | AnonymousUser) -> ShopQuerySet:
        """The shops of units in ``user``'s scope, and of their own communities."""
        return _scoped(self, user, "unit_id")


class Shop(models.Model):
    """A community's public-welfare supermarket (公益超市): points buy its goods."""

    unit = models.OneToOneField(
        Unit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="shop"
    )
    name = models.CharField(_("name"), max_length=100)
    place = models.CharField(_("place"), max_length=100, blank=True)

    objects = ShopQuerySet.as_manager()

    class Meta:
        verbose_name = _("public-welfare supermarket")
        verbose_name_plural = _("public-welfare supermarkets")
        ordering = ["unit__path"]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    """Goods of a shop: their price in points and how many are left."""

    shop = models.ForeignKey(
        Shop, verbose_name=_("supermarket"), on_delete=models.PROTECT, related_name="items"
    )
    name = models.CharField(_("name"), max_length=60)
    price = models.PositiveIntegerField(_("price in points"))
    stock = models.IntegerField(_("stock"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["shop", "name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="stock_never_below_zero"),
            models.UniqueConstraint(fields=["shop", "name"], name="one_item_of_a_name"),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionQuerySet(models.QuerySet["Redemption"]):
    def visible_to(self, user: User | AnonymousUser) -> RedemptionQuerySet:
        """The redemptions at shops of ``user``'s scope, and their own anywhere (not
        their neighbours')."""
        from civicgrid.people.models import reach_ids

        ids = reach_ids(user)
        if ids is None:
            return self.all()
        mine = Q(person__user_id=user.pk) if user.is_authenticated else Q(pk__in=[])
        return self.filter(Q(item__shop__unit_id__in=ids) | mine)


class Redemption(models.Model):
    """Goods handed out for points at the counter (兑换): the stock lowered and the
    points spent (the ledger line ``redemption:<pk>``) in one change."""

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="redemptions"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="redemptions",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    points = models.PositiveIntegerField(_("points"))
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed out by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RedemptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["item", "at"], name="redemptions_of_item"),
            models.Index(fields=["person", "at"], name="redemptions_of_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.item} × {self.quantity}"
