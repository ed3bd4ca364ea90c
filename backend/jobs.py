"""Every periodic pass of a served process, in one list.

Each pass is a service function over the container's collaborators. Passes of one `loop` run one
after the other on one daemon thread (greenlet under gevent) every `every_s` seconds; the loops are
apart so a slow payment query or WAL copy never delays the HIS outbox. A pass that fails is logged
and tried again next round (adapters/workers.PeriodicJobs): the work itself lives in the database.
"""
from dataclasses import dataclass
from typing import Callable

from .adapters.db.backup import ScheduledBackup, parse_daily_time
from .adapters.db.engine import CHECKPOINT_EVERY_S, WalCheckpointer, is_sqlite
from .adapters.metrics import metered_job
from .adapters.workers import PeriodicJobs
from .services.accounts import purge_expired
from .services.device_watch import SilentKioskWatch
from .services.his_sync import sync_outbox
from .services.identification import prepare_card_checker, recheck_pending
from .services.notifications import run_notification_jobs
from .services.payments import payments_of, run_payment_jobs


BACKUP_CHECK_S = 60.0  # how often the daily backup asks whether it is due


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]
    every_s: float
    loop: str = "main"  # passes sharing a loop run in list order


def periodic_jobs(container) -> list[Job]:
    """The passes this container's process runs (started only with settings.background_workers)."""
    deps, settings = container.deps, container.settings
    every = settings.worker_interval_s
    jobs = [
        Job("bhxh_token", lambda: prepare_card_checker(deps), every),  # first, so a token is ready early
        Job("his_outbox", lambda: sync_outbox(deps), every),
        Job("bhyt_recheck", lambda: recheck_pending(deps), every),
        Job("mobile_notifications", lambda: run_notification_jobs(deps), every),  # N places, called, reminders
        Job("mobile_purge", lambda: purge_expired(deps), every),  # spent SMS codes, share codes, sessions
    ]
    # A third of a heartbeat: a kiosk silent for 3 beats is announced before the 4th would be due.
    watch = SilentKioskWatch()
    jobs.append(Job("kiosk_watch", lambda: watch.run(deps), max(0.2, deps.kiosk_heartbeat_s / 3), loop="devices"))
    payments_every = payments_of(deps).jobs_interval_s
    if payments_every > 0:  # expiry sweep + VNPay querydr; 0 in hospital.toml turns it off
        jobs.append(Job("payments", lambda: run_payment_jobs(deps), payments_every, loop="payments"))
    if is_sqlite(container.engine):
        # PASSIVE copy of the WAL back into the database file; the copy runs on the CPU pool's thread.
        checkpointer = WalCheckpointer(container.engine, cpu=deps.cpu)
        jobs.append(Job("wal_checkpoint", checkpointer.run_once, CHECKPOINT_EVERY_S, loop="wal"))
    if settings.backup_at:  # off unless TIEPDON_BACKUP_AT says when (README "Backup and restore")
        backup = ScheduledBackup(settings.database_url, settings.backup_dir, parse_daily_time(settings.backup_at),
                                 settings.backup_keep, clock=deps.clock, cpu=deps.cpu)
        jobs.append(Job("backup", backup.run_once, BACKUP_CHECK_S, loop="backup"))
    return jobs


class JobRunner:
    """One PeriodicJobs loop per `loop` name."""

    def __init__(self, jobs: list[Job]):
        self.jobs = jobs
        self.loops: dict[str, PeriodicJobs] = {}
        for job in jobs:
            loop = self.loops.setdefault(job.loop, PeriodicJobs(job.every_s))
            loop.add(job.name, metered_job(job.name, job.run))  # failures counted for /metrics

    def start(self) -> None:
        for loop in self.loops.values():
            loop.start()

    def stop(self) -> None:
        for loop in self.loops.values():
            loop.stop()

    def wake(self) -> None:
        """Run the main passes now (e.g. right after a check-in queued an HIS registration)."""
        if "main" in self.loops:
            self.loops["main"].wake()
