import re

from django import forms
from django.core.exceptions import ValidationError

from dailypapers.library.errors import Invalid
from dailypapers.library.follows import MAX_FOLLOWS, clean_follow
from dailypapers.library.models import Follow

from .following import followed
from .models import Subscription
from .subscriptions import PAPER_COUNTS, normalize_email

# What the box on a page offers; saved searches are typed on the preferences page.
BOX_KINDS = {Follow.Kind.CATEGORY, Follow.Kind.ORGANIZATION, Follow.Kind.AUTHOR}


def _clean(kind: str, value: str) -> tuple[str, str]:
    """library's clean_follow, its refusal said on the form."""
    try:
        return clean_follow(kind, value)
    except Invalid as error:
        raise ValidationError(str(error)) from None


class FollowField(forms.Field):
    """The values of every ``follow`` checkbox sent."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        return [str(item) for item in value or []]


class SubscribeForm(forms.Form):
    email = forms.CharField(
        max_length=1000,
        strip=False,
        widget=forms.EmailInput(attrs={"placeholder": "you@example.org", "autocomplete": "email"}),
    )
    # "organization:slug", "author:Name", "category:cs.LG": what the page offered to follow.
    follow = FollowField(required=False)

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean_follow(self) -> list[tuple[str, str]]:
        follows = []
        for item in self.cleaned_data["follow"][:MAX_FOLLOWS]:
            kind, _, value = item.partition(":")
            if kind not in BOX_KINDS:
                raise ValidationError("Unknown thing to follow.")
            follows.append(_clean(kind, value))
        return follows


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", text) if word]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(choices=Subscription.Frequency.choices, widget=forms.RadioSelect)
    paper_count = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in PAPER_COUNTS],
        coerce=int,
        label="Papers per section",
    )
    categories = forms.CharField(
        required=False,
        max_length=5000,
        label="arXiv categories",
        help_text="Codes separated by spaces, like cs.LG cs.CL stat.ML.",
    )
    organizations = forms.CharField(
        required=False,
        max_length=20000,
        help_text="Organization names as in their page's address (/organizations/NAME).",
    )
    authors = forms.CharField(
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One name per line, as the site spells it.",
    )
    searches = forms.CharField(
        required=False,
        max_length=100000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Saved searches",
        help_text="One query per line: new papers matching its words get a section.",
    )

    FIELDS = {
        "categories": (Follow.Kind.CATEGORY, _words),
        "organizations": (Follow.Kind.ORGANIZATION, _words),
        "authors": (Follow.Kind.AUTHOR, _lines),
        "searches": (Follow.Kind.QUERY, _lines),
    }

    @classmethod
    def for_subscription(cls, subscription: Subscription, data=None) -> "PreferencesForm":
        by_kind: dict[str, list[str]] = {}
        for follow in followed(subscription):
            by_kind.setdefault(follow.kind, []).append(follow.value)
        initial = {
            "frequency": subscription.frequency,
            "paper_count": subscription.paper_count,
            "categories": " ".join(by_kind.get(Follow.Kind.CATEGORY, [])),
            "organizations": " ".join(by_kind.get(Follow.Kind.ORGANIZATION, [])),
            "authors": "\n".join(by_kind.get(Follow.Kind.AUTHOR, [])),
            "searches": "\n".join(by_kind.get(Follow.Kind.QUERY, [])),
        }
        return cls(data, initial=initial)

    def clean(self) -> dict:
        cleaned = super().clean()
        follows = []
        for name, (kind, split) in self.FIELDS.items():
            for value in split(cleaned.get(name) or ""):
                try:
                    follow = _clean(kind, value)
                except ValidationError as error:
                    self.add_error(name, error)
                    continue
                if follow not in follows:
                    follows.append(follow)
        if len(follows) > MAX_FOLLOWS:
            raise ValidationError(f"Follow at most {MAX_FOLLOWS} things.")
        cleaned["follows"] = follows
        return cleaned
