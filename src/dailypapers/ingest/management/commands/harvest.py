from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from dailypapers.cli import command_hint
from dailypapers.console import terminate_as_interrupt
from dailypapers.ingest.models import SourceStatus
from dailypapers.ingest.oai import (
    METADATA_PARSERS,
    Harvester,
    HarvestError,
    HarvestPlan,
    HarvestResult,
    last_harvested,
)
from dailypapers.ingest.reporting import iso_date, summary
from dailypapers.papers.signals import announce_catalog_change


class Command(BaseCommand):
    help = (
        "Harvest new and updated papers from arXiv's OAI-PMH interface. Without --from, "
        "continue from where the last finished harvest of the set got to. An interrupted "
        "harvest resumes when the same command is run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="since",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="records added or changed on or after this day "
            "(default: continue the last harvest of the set)",
        )
        parser.add_argument(
            "--until",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="records added or changed on or before this day (default: today)",
        )
        parser.add_argument(
            "--set",
            dest="set_spec",
            metavar="SET",
            default=settings.HARVEST_SET,
            help=f"arXiv set, e.g. cs or physics:hep-th; '' for all "
            f"(default {settings.HARVEST_SET!r})",
        )
        parser.add_argument(
            "--metadata-prefix",
            choices=list(METADATA_PARSERS),
            default="arXivRaw",
            help="arXivRaw has version history (default); arXiv has parsed author names",
        )

    def handle(self, *args, since, until, set_spec, metadata_prefix, **options):
        since = since or last_harvested(set_spec)
        if since is None:
            raise CommandError(
                f"There is no finished harvest of set {set_spec!r} to continue from: "
                "give --from YYYY-MM-DD."
            )
        if until and until < since:
            raise CommandError(f"--until {until} is before the start of the harvest, {since}.")
        plan = HarvestPlan(
            set_spec=set_spec, metadata_prefix=metadata_prefix, since=since, until=until
        )
        harvester = Harvester(plan, console=Console(file=self.stderr._out))
        try:
            with terminate_as_interrupt():
                harvester.run()
            SourceStatus.record(SourceStatus.Source.ARXIV_OAI)
        except HarvestError as error:
            SourceStatus.record(SourceStatus.Source.ARXIV_OAI, str(error))
            raise CommandError(
                f"Harvest failed: {error}\nEvery finished page is saved; run the same command "
                f"again to continue, or import a file instead: {command_hint('import PATH')}"
            ) from None
        except KeyboardInterrupt:
            self.stderr.write(
                "Interrupted: every finished page is saved; run the same command again "
                "to continue where it stopped."
            )
            raise SystemExit(130) from None
        finally:
            self.report(plan, harvester.result)

    def report(self, plan: HarvestPlan, result: HarvestResult) -> None:
        if not result.pages and not result.nothing_new:
            return  # failed before the first page: the error says it all
        if result.nothing_new:
            self.stdout.write(f"{plan.label}: nothing new")
        else:
            self.stdout.write(summary(plan.label, result.counts))
        for line in announce_catalog_change(type(self)):
            self.stdout.write(line)
        if result.deleted:
            self.stdout.write(f"{result.deleted} record(s) deleted upstream, kept here")
