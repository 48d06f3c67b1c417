"""When flows run: schedules in cron or friendly English, and the tick that runs what is due."""

from bot.scheduling.parse import parse_facilitator_schedule, parse_schedule
from bot.scheduling.rule import Schedule, ScheduleError
from bot.scheduling.tick import Ticker, run_due

__all__ = ["Schedule", "ScheduleError", "Ticker", "parse_facilitator_schedule", "parse_schedule", "run_due"]
