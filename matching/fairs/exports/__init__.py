"""Job-fair exports: requested and downloaded (``requests``), made by the worker (``runs``),
their content (``rows``) and their formats (``tables`` for CSV and XLSX, ``pdf``)."""
