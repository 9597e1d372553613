import os
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db import connection

from dailypapers.papers.models import Paper
from dailypapers.papers.records import ListingRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.services import add_upvote
from dailypapers.papers.upserts import upsert_listings, upsert_papers
from dailypapers.search import backends
from dailypapers.search.indexing import embed_pending, sync_keyword_index

CORPUS = [
    # id, title, abstract, authors, categories, published
    (
        "2401.00001",
        "Block-wise Quantization of Large Language Models",
        "We quantize the weights of large language models block-wise to 4 bits, keeping "
        "accuracy while cutting memory by three quarters.",
        ["Ada Lovelace", "Tim Dettmers"],
        ["cs.LG", "cs.CL"],
        date(2024, 1, 2),
    ),
    (
        "2401.00002",
        "Blockwise Parallel Decoding for Deep Autoregressive Models",
        "Blockwise parallel decoding predicts several future tokens at once and verifies "
        "them, speeding up generation.",
        ["Mitchell Stern"],
        ["cs.LG"],
        date(2024, 1, 5),
    ),
    (
        "2401.00003",
        "Diffusion Models Beat GANs on Image Synthesis",
        "We show that diffusion models can achieve image sample quality superior to "
        "generative adversarial networks.",
        ["Prafulla Dhariwal", "Alex Nichol"],
        ["cs.CV", "cs.LG"],
        date(2024, 2, 1),
    ),
    (
        "2401.00004",
        "Text-to-3D Scene Generation with Score Distillation",
        "A text prompt is turned into a three-dimensional scene by distilling a pretrained "
        "2D diffusion model into a neural radiance field.",
        ["Ben Poole"],
        ["cs.CV"],
        date(2024, 3, 1),
    ),
    (
        "2401.00005",
        "Imitation Learning for Robotic Manipulation",
        "Robots learn to pick up and place household objects by watching a few human "
        "demonstrations, then generalise to unseen items.",
        ["Chelsea Finn"],
        ["cs.RO"],
        date(2024, 3, 10),
    ),
    (
        "2401.00006",
        "Convolutional Networks for Biomedical Image Segmentation",
        "A network architecture with a contracting and an expanding path segments "
        "microscopy images from very few annotated samples.",
        ["Olaf Ronneberger"],
        ["cs.CV"],
        date(2024, 4, 1),
    ),
    (
        "2401.00007",
        "Attention Is All You Need",
        "We propose the Transformer, a network architecture based solely on attention "
        "mechanisms, dispensing with recurrence and convolutions entirely.",
        ["Ashish Vaswani", "Noam Shazeer"],
        ["cs.CL", "cs.LG"],
        date(2024, 4, 15),
    ),
    (
        "2401.00008",
        "Low-Rank Adaptation of Large Language Models",
        "We freeze pretrained model weights and inject trainable rank decomposition "
        "matrices into each layer, reducing trainable parameters ten thousand times.",
        ["Edward Hu"],
        ["cs.CL"],
        date(2024, 5, 1),
    ),
    (
        "2401.00009",
        "Quantization Noise in Language Models: Large Models, Small Bits",
        "Large language models tolerate quantization noise when outliers are handled "
        "separately; we study eight-bit matrix multiplication.",
        ["Tim Dettmers"],
        ["cs.LG"],
        date(2024, 5, 20),
    ),
    (
        "2401.00010",
        "Graph Neural Networks for Molecule Property Prediction",
        "Message passing over molecular graphs predicts chemical properties of molecules "
        "<script>alert('x')</script> with high accuracy.",
        ["Justin Gilmer"],
        ["cs.LG", "q-bio.QM"],
        date(2024, 6, 1),
    ),
]


def make_corpus() -> None:
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id=pid,
                title=title,
                abstract=abstract,
                authors=authors,
                categories=categories,
                published=published,
            )
            for pid, title, abstract, authors, categories, published in CORPUS
        ]
    )
    upsert_listings(
        [
            ListingRecord(
                arxiv_id="2401.00003",
                date=date(2024, 2, 2),
                source="hf-api",
                upvotes=50,
                organization=OrganizationRecord("openai", "OpenAI"),
            ),
            ListingRecord(
                arxiv_id="2401.00007",
                date=date(2024, 4, 16),
                source="hf-api",
                upvotes=90,
                organization=OrganizationRecord("google", "Google"),
            ),
            ListingRecord(
                arxiv_id="2401.00001", date=date(2024, 1, 3), source="hf-api", upvotes=10
            ),
        ]
    )
    add_upvote(User.objects.create_user("fan"), Paper.objects.get(pk="2401.00009"))


# Every keyword engine this database offers: PostgreSQL's full-text engine stays a setting
# away on PostgreSQL (docs/search.md), so the keyword tests hold it to the same answers.
KEYWORD_ENGINES = ["tantivy"] + (
    ["postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else []
)


@pytest.fixture(params=KEYWORD_ENGINES)
def keyword_corpus(request, db, settings):
    """The corpus, found by keywords only (no embeddings yet), with each keyword engine."""
    settings.KEYWORD_ENGINE = request.param
    backends.reset()
    make_corpus()
    sync_keyword_index()


def server_has_pgvector() -> bool:
    """Whether this run's database offers pgvector, and so serves vectors from it."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return cursor.fetchone() is not None


@pytest.fixture
def corpus(db):
    """The corpus with keyword index (the configured engine) and embeddings."""
    make_corpus()
    sync_keyword_index()
    embed_pending()


# The exact match for "diffusion policy caching", and papers near its topic.
EXACT_MATCH = (
    "2506.13456",
    "Block-wise Adaptive Caching for Accelerating Diffusion Policy",
    "Diffusion Policy models robot actions with a denoising process whose many steps make it "
    "slow for real-time control. We reuse intermediate features across denoising steps, block "
    "by block, adapting the caching schedule to each block, to accelerate inference without "
    "retraining.",
)
NEAR_TOPIC = [
    (
        "2503.00001",
        "Diffusion Policy: Visuomotor Policy Learning via Action Diffusion",
        "We represent a robot's visuomotor policy as a conditional denoising diffusion process "
        "over actions, learning multimodal behaviours from demonstrations.",
    ),
    (
        "2503.00002",
        "Consistency Policy: Accelerated Visuomotor Policies via Consistency Distillation",
        "We distil a diffusion policy into a consistency model that acts in one or two steps, "
        "speeding up robot control.",
    ),
    (
        "2503.00003",
        "DeepCache: Accelerating Diffusion Models for Free",
        "Caching high-level features across adjacent denoising steps speeds up image diffusion "
        "models without training.",
    ),
    (
        "2503.00004",
        "Learning-to-Cache: Accelerating Diffusion Transformers via Layer Caching",
        "A learned router decides which transformer layers to cache between diffusion timesteps.",
    ),
    (
        "2503.00005",
        "Real-Time Diffusion Policies for Robot Manipulation",
        "Fewer denoising steps and a lighter network let diffusion policies control robot arms "
        "in real time.",
    ),
]


def paper_records(papers: list[tuple[str, str, str]]) -> list[PaperRecord]:
    return [
        PaperRecord.build(arxiv_id=pid, title=title, abstract=abstract, authors=["A. Author"])
        for pid, title, abstract in papers
    ]


@pytest.fixture
def partly_embedded(corpus):
    """Embeddings being built: papers near the topic have theirs, the exact match not yet."""
    upsert_papers(paper_records(NEAR_TOPIC))
    embed_pending()
    upsert_papers(paper_records([EXACT_MATCH]))
    sync_keyword_index()
