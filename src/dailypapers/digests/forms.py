import re

from django import forms
from django.core.exceptions import ValidationError

from .models import Follow, Subscription
from .subscriptions import MAX_FOLLOWS, PAPER_COUNTS, clean_follow, normalize_email

FOLLOW_KINDS = {kind.value for kind in Follow.Kind}


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
            # Saved searches are typed on the preferences page, never offered by a box.
            if kind not in FOLLOW_KINDS or kind == Follow.Kind.SEARCH:
                raise ValidationError("Unknown thing to follow.")
            follows.append(clean_follow(kind, value))
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
        max_length=1000,
        label="arXiv categories",
        help_text="Codes separated by spaces, like cs.LG cs.CL stat.ML.",
    )
    organizations = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Organization names as in their page's address (/organizations/NAME).",
    )
    authors = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One name per line, as the site spells it.",
    )
    searches = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Saved searches",
        help_text="One query per line: new papers matching its words get a section.",
    )

    FIELDS = {
        "categories": (Follow.Kind.CATEGORY, _words),
        "organizations": (Follow.Kind.ORGANIZATION, _words),
        "authors": (Follow.Kind.AUTHOR, _lines),
        "searches": (Follow.Kind.SEARCH, _lines),
    }

    @classmethod
    def for_subscription(cls, subscription: Subscription, data=None) -> "PreferencesForm":
        by_kind: dict[str, list[str]] = {}
        for follow in subscription.follows.all():
            by_kind.setdefault(follow.kind, []).append(follow.value)
        initial = {
            "frequency": subscription.frequency,
            "paper_count": subscription.paper_count,
            "categories": " ".join(by_kind.get(Follow.Kind.CATEGORY, [])),
            "organizations": " ".join(by_kind.get(Follow.Kind.ORGANIZATION, [])),
            "authors": "\n".join(by_kind.get(Follow.Kind.AUTHOR, [])),
            "searches": "\n".join(by_kind.get(Follow.Kind.SEARCH, [])),
        }
        return cls(data, initial=initial)

    def clean(self) -> dict:
        cleaned = super().clean()
        follows = []
        for name, (kind, split) in self.FIELDS.items():
            for value in split(cleaned.get(name) or ""):
                try:
                    follow = clean_follow(kind, value)
                except ValidationError as error:
                    self.add_error(name, error)
                    continue
                if follow not in follows:
                    follows.append(follow)
        if len(follows) > MAX_FOLLOWS:
            raise ValidationError(f"Follow at most {MAX_FOLLOWS} things.")
        cleaned["follows"] = follows
        return cleaned
