"""The archive's Datasette plugin (``browse`` loads it with ``--plugins-dir``; so can
``datasette --plugins-dir crawler/datasette_plugins``). It acts only on the tables whose metadata
names it (``plugins: {"thepaper-archive": {"key": "cont_id"}}``, see
:mod:`storage.datasette_meta`):

* the search box (``?_search=``) answers as ``thepaper-archive search`` does: every word, of any
  length (the trigram index alone finds none of 1-2 characters), ASCII case folded, a
  Traditional word in its Simplified forms too (:func:`storage.search.matching_sql`); the rows
  keep the table's order (newest first), where ``search`` ranks them;
* a facet ``tags`` (``?_facet_tags=cont_id``) counts the rows' tags by name; choosing one adds
  ``?_tag=NAME`` (repeat for every tag named, as ``search --tag``).
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import BadRequest

PLUGIN = "thepaper-archive"


def _key(datasette, database: str, table: str) -> str | None:
    config = datasette.plugin_config(PLUGIN, database=database, table=table) if table else None
    return (config or {}).get("key")


@hookimpl(trylast=True)  # after Datasette's own search filter, so that the search box shows
def filters_from_request(request, database, table, datasette):
    key = _key(datasette, database, table)
    if key is None:
        return None
    from cleaning.repair.traditional import query_forms
    from storage.search import SearchError, matching_sql

    wheres, params, said, context = [], {}, [], {"supports_search": True}
    query = request.args.get("_search", "")
    if query.strip():
        try:
            wheres.append(f"{escape_sqlite(key)} IN ({matching_sql(query, query_forms)})")
        except SearchError as exc:
            raise BadRequest(str(exc)) from None
        said.append(f'search finds "{query}"')
        context["search"] = query
    for i, name in enumerate(request.args.getlist("_tag")):
        wheres.append(
            f"{escape_sqlite(key)} IN (SELECT article_tags.cont_id FROM article_tags JOIN tags "
            f"ON tags.id = article_tags.tag_id WHERE tags.name = :thepaper_tag_{i})"
        )
        params[f"thepaper_tag_{i}"] = name
        said.append(f'tagged "{name}"')
    return FilterArguments(wheres, params, said, context)


class TagFacet(Facet):
    """The rows' tags by name, most frequent first; a chosen tag filters with ``_tag``."""

    type = "tags"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        chosen = self.request.args.getlist("_tag")
        size = self.get_facet_size()
        for config in self.get_configs():
            key = config["config"].get("column") or config["config"]["simple"]
            sql = (
                f"SELECT tags.name AS value, count(*) AS count FROM article_tags "
                f"JOIN tags ON tags.id = article_tags.tag_id "
                f"WHERE article_tags.cont_id IN (SELECT {escape_sqlite(key)} FROM ({self.sql})) "
                f"GROUP BY tags.name ORDER BY count DESC, value LIMIT {size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:  # over the facet time limit
                timed_out.append("tags")
                continue
            values = []
            for row in rows.rows[:size]:
                selected = row["value"] in chosen
                path = (
                    path_with_removed_args(self.request, {"_tag": row["value"]})
                    if selected
                    else path_with_added_args(self.request, {"_tag": row["value"]})
                )
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": "tags",
                    "type": self.type,
                    "hideable": config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_tags": key})),
                    "results": values,
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


@hookimpl
def register_facet_classes():
    return [TagFacet]
