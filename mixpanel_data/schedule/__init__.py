"""Scheduled pipelines: cron times, a cross-process lock, run history and the scheduler loop.

``mp schedule run`` is :class:`~mixpanel_data.schedule.scheduler.Scheduler`; each run goes
through :func:`mixpanel_data.run.runner.run_pipeline`, the same code as ``mp run``.
"""
