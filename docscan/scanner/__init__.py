"""The scanner service: projects, pages, OCR processing and PDFs, behind small ports."""
