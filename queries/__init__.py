"""Ready-made SQL files (package data); run one with `mp sql queries/NAME.sql`."""
