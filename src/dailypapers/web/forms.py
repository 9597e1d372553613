from django import forms

from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id


class SearchForm(forms.Form):
    q = forms.CharField(max_length=250, required=False, strip=False)
    category = forms.CharField(max_length=40, required=False, label="arXiv category")
    organization = forms.SlugField(max_length=100, required=False)
    published_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    published_until = forms.DateField(
        required=False, label="Until", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[("relevance", "Relevance"), ("date", "Newest"), ("upvotes", "Most upvoted")],
    )


class SubmitForm(forms.Form):
    arxiv_id = forms.CharField(
        max_length=200,
        label="arXiv id or URL",
        widget=forms.TextInput(
            attrs={"placeholder": "2403.01779 or https://arxiv.org/abs/2403.01779"}
        ),
    )

    def clean_arxiv_id(self) -> str:
        try:
            return normalize_arxiv_id(self.cleaned_data["arxiv_id"])
        except InvalidArxivId as error:
            raise forms.ValidationError(str(error)) from None
