"""The backends the CLI talks to: `local` (embedded) and `aws` (the deployed app)."""
