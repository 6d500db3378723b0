"""The domain: what every layer talks about, with no knowledge of how it is crawled or stored.

* :mod:`domain.urls` — thepaper.cn's article URL forms (and mirrors') → ``cont_id``.
* :mod:`domain.hosts` — hosts as an HTTP client reads them (WHATWG), and which addresses
  are public.
* :mod:`domain.record` — :class:`~domain.record.ArticleRecord`, the clean article, and the
  :class:`~domain.record.CleaningError` family a page that cannot become one raises.
* :mod:`domain.items` — what the spider hands the item pipelines: a fetched page, a failed
  request, a record known from a list alone.

May use: the standard library only. Every other package may import it.
"""
