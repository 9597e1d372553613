from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from dailypapers.mail import validate_address
from dailypapers.papers.models import Organization, Paper
from dailypapers.throttles import limits

MAX_COMMENT_LENGTH = 10_000


def _email_taken(email: str, exclude_pk: int | None = None) -> bool:
    users = get_user_model().objects.filter(email__iexact=email)
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


class ThrottledLogin:
    """Failed logins are limited per username typed and per client (limits.LOGIN).

    A token is taken before the password is checked, so that parallel guesses
    cannot all pass a check made first, and given back when the login succeeds.
    Once the bucket is empty even the right password is refused until it refills:
    telling the two apart would tell the guesser which one was right.
    """

    throttled: limits.Throttled | None = None

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()
        who = {"client": limits.client_key(self.request), "account": username}
        try:
            limits.check(limits.LOGIN, **who)
        except limits.Throttled as refusal:
            self.throttled = refusal
            raise forms.ValidationError(str(refusal), code="throttled") from None
        cleaned = super().clean()
        limits.give_back(limits.LOGIN, **who)
        return cleaned


class LoginForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    pass


class SignupForm(UserCreationForm):
    # Required: it is the only way back into an account (password reset).
    email = forms.EmailField(max_length=254)

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        validate_address(email)
        if _email_taken(email):
            raise forms.ValidationError("An account with this email address exists already.")
        return email


class AccountForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        validate_address(email)
        if _email_taken(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError("Another account uses this email address.")
        return email


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, required=False, help_text="A label, e.g. the script that uses it."
    )
    read_only = forms.BooleanField(
        required=False, help_text="A read-only token cannot upvote or submit papers."
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", max_length=MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError("A comment cannot be empty.")
        return body


class ClaimForm(forms.Form):
    author = forms.TypedChoiceField(coerce=int, label="I am")

    def __init__(self, paper: Paper, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author"].choices = [
            # .all(): the paper page prefetches its authorships with their authors.
            (authorship.author_id, authorship.author.name)
            for authorship in paper.authorships.all()
        ]


class OrganizationLinkForm(forms.Form):
    # Any organization validates; whether the user may use it is the service's
    # decision, so a non-member gets a 403 rather than "not a valid choice".
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(), required=False, to_field_name="slug"
    )
