-- Trigram matching for the project list filter q (title substring), see docs/benchmarks-projects.md.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
