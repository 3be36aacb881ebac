"""Reading CSV files that people export from spreadsheets, with a line number on every row."""
import csv
import io

from flask_babel import gettext as _


def read_rows(text, columns, required):
    """Rows of `text` as dicts keyed by the lower-cased header, plus problems as (line, message).

    Commas, semicolons and tabs all work, as spreadsheet programs write any of them.
    Blank lines are skipped; each row dict carries its `line` in the file.
    """
    if not text.strip():
        return [], [(1, _("The file is empty."))]
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [column.strip().lower() for column in next(reader)]
    missing = [column for column in required if column not in header]
    unknown = [column for column in header if column not in columns]
    if missing or unknown:
        message = _(
            "The first line must name the columns %(columns)s (missing: %(missing)s; unknown: %(unknown)s).",
            columns=", ".join(columns),
            missing=", ".join(missing) or "-",
            unknown=", ".join(unknown) or "-",
        )
        return [], [(1, message)]
    rows, problems = [], []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(header):
            problems.append((reader.line_num, _("This row has more values than the header has columns.")))
            continue
        row = {column: "" for column in header}
        row.update(zip(header, (value.strip() for value in values)))
        row["line"] = reader.line_num
        rows.append(row)
    if not rows and not problems:
        problems.append((1, _("The file has a header but no rows.")))
    return rows, problems
