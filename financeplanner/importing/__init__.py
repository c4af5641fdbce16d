"""Spreadsheet import: the datasets the apps register (counterparties, funding channels, cash-flow lines) from
.xlsx or .csv, all or nothing.

The core holds the generic machinery only: reading a file and its guards against hostile spreadsheets
(`reading`), the report (`report`), validating and committing the rows (`rows`, `commit`), background jobs
(`jobs`) and templates (`templates`). What a dataset is — its columns, serializer and how a row becomes an object —
is registered by the app that owns the model (`specs.register_import`, from its `AppConfig.ready()`).
"""

from .commit import log_created
from .jobs import (
    ASYNC_BYTES,
    JOB_FAULT,
    JOB_STALL_SECONDS,
    QUEUE_UNREACHABLE,
    ImportQueueUnavailable,
    async_bytes,
    import_job_claim,
    import_job_commit,
    import_job_create,
    import_job_run,
    import_jobs_sweep,
)
from .reading import (
    CONTENT_TYPES,
    FORMATS,
    FORMULA_PREFIXES,
    MAX_BYTES,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    ImportFileError,
    precheck,
    read_table,
)
from .report import MAX_ERRORS, ImportReport, RowError, report_rows
from .rows import import_rows
from .specs import (
    CURRENCY_HELP,
    DATASETS,
    RATE,
    RATE_HELP,
    SHARE,
    SHARE_HELP,
    Column,
    ImportSpec,
    Percent,
    get_dataset,
    register_import,
)
from .templates import column_help, template

__all__ = [
    "ASYNC_BYTES", "CONTENT_TYPES", "CURRENCY_HELP", "DATASETS", "FORMATS", "FORMULA_PREFIXES", "JOB_FAULT",
    "JOB_STALL_SECONDS", "MAX_BYTES", "MAX_CELLS", "MAX_COLUMNS", "MAX_ERRORS", "MAX_ROWS", "QUEUE_UNREACHABLE",
    "RATE", "RATE_HELP", "SHARE", "SHARE_HELP", "Column", "Percent", "ImportFileError", "ImportQueueUnavailable", "ImportReport", "ImportSpec", "RowError",
    "async_bytes", "column_help", "get_dataset", "import_job_claim", "import_job_commit",
    "import_job_create", "import_job_run", "import_jobs_sweep", "import_rows", "log_created", "precheck",
    "read_table", "register_import", "report_rows", "template",
]  # fmt: skip
