"""The registry of jobs: every name resolves to its function, every job function has a name,
and nothing else names a job by a dotted string."""

from __future__ import annotations

import ast
import inspect

from tests.support.paths import ROOT
from workers import jobs
from workers.queues import JOB_QUEUES, JOBS_MODULE, Job, QueueName
from workers.worker import NIGHTLY_JOBS, PERIODIC_JOBS, PERIODIC_JOBS_WITH_ARGS, job_function


def test_every_registered_name_resolves_to_a_job_function() -> None:
    for job in Job:
        function = job_function(job)
        assert callable(function) and function.__module__ == JOBS_MODULE, job
        assert job.path == f"{function.__module__}.{function.__name__}"
        assert isinstance(job.queue, QueueName)
    assert set(JOB_QUEUES) == set(Job)


def test_every_job_function_is_registered() -> None:
    public = {
        name
        for name, value in vars(jobs).items()
        if inspect.isfunction(value)
        and value.__module__ == JOBS_MODULE
        and not name.startswith("_")
    }
    assert public == {job.value for job in Job}


def test_the_schedule_names_registered_jobs() -> None:
    scheduled = [j for j, _ in PERIODIC_JOBS] + [j for j, _ in NIGHTLY_JOBS]
    scheduled += [j for j, _args, _ in PERIODIC_JOBS_WITH_ARGS]
    assert scheduled and all(isinstance(job, Job) for job in scheduled)


def test_no_dotted_job_string_outside_the_registry() -> None:
    """``"workers.jobs.<name>"`` spelt anywhere but workers/queues.py would bypass the registry."""
    registry = ROOT / "workers" / "queues.py"
    found = []
    for package in ("matching", "portal", "workers", "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == registry:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and node.value.startswith(f"{JOBS_MODULE}.")
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
