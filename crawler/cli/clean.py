"""``thepaper-archive clean``: the whole cleaning chain on one saved file, printed, no database."""

from __future__ import annotations

import json

from crawler.cli.errors import EXIT_OK, EXIT_USAGE, error_line

_FIELDS = ("cont_id", "url", "title", "published_at", "author", "author_outlet", "editor", "source",
           "node_name", "channel_name", "content_type", "tags", "encoding", "encoding_reason",
           "repairs", "stripped", "mirror_host")


def register(sub) -> None:
    sp = sub.add_parser("clean", help="run the cleaning chain on one saved file; print the record")
    sp.add_argument("path")
    sp.add_argument("--url", help="the URL the file was fetched from")
    sp.add_argument("--json", action="store_true", help="print one JSON object")
    sp.add_argument("--explain", action="store_true",
                    help="also print every repair of the text: where, which rule, decided by the bytes, "
                         "the word model or a rule, before and after")
    sp.set_defaults(func=run)


def run(args) -> int:
    from domain.record import CleaningError
    from cleaning.document import clean_document

    from crawler.cli.saved_files import read_saved_file, size_limit

    data = read_saved_file(args.path, size_limit(args))
    try:
        record = clean_document(data, url=args.url)
    except CleaningError as exc:
        error_line(f"{args.path}: {exc.reason}: {exc}")
        return EXIT_USAGE
    if args.json:
        print(json.dumps(record.to_dict(), ensure_ascii=False, indent=None))
        return EXIT_OK
    d = record.to_dict()
    for key in _FIELDS:
        if d.get(key) not in (None, "", [], {}):
            print(f"{key}: {d[key]}")
    if args.explain:
        from crawler.cli.show import format_repair_log

        print("\n".join(format_repair_log(record.repair_log)))
    print()
    print("\n\n".join(record.paragraphs))
    return EXIT_OK
