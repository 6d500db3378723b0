"""One article of the mock site built from its plan and the data set's seed: title, byline,
blocks, tags, images, all from a generator seeded by ``(seed, index)`` (see :mod:`.dataset`)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from . import corpus
from .catalogue import _MINUTE_MS, GONE_KINDS, _NODE_TOPICS, SHANGHAI, Node, _mix
from .mockarticle import Figure, MockArticle, Paragraph, Plan


def build_article(seed: int, nodes: dict[int, Node], p: Plan) -> MockArticle:
    """Article ``p.index`` of the data set of ``seed`` whose columns are ``nodes``."""
    rng = random.Random(f"thepaper-mock:{seed}:{p.index}")
    node = nodes[p.node_id]
    topic = rng.choice(_NODE_TOPICS[p.node_id])
    pub = datetime.fromtimestamp(p.pub_ms // _MINUTE_MS * 60, SHANGHAI)
    year = pub.year
    title = corpus.fill(rng.choice(corpus.TITLES[topic]), rng, topic, year=year)
    if p.index % 3 == 1:  # the site prints both column-prefix forms: 特稿｜… and 数据 | …
        title = title.replace("｜", " | ", 1)
    summary = corpus.fill(rng.choice(corpus.SUMMARIES), rng, topic, year=year)
    author_raw, author, outlet = _byline(rng, p.kind)
    editor = corpus.person_name(rng) if p.kind != "pph" and rng.random() < 0.9 else ""
    account = rng.choice(corpus.PPH_ACCOUNTS) if p.kind == "pph" else ""
    source = "澎湃新闻"
    if p.kind == "pph":
        source = "澎湃新闻·澎湃号·" + ("湃客" if rng.random() < 0.8 else "媒体")
    tags = rng.sample(corpus.TAGS[topic], rng.randint(1, min(3, len(corpus.TAGS[topic]))))
    img_base = f"https://imgpai.thepaper.cn/newpai/image/{p.pub_ms}_{rng.getrandbits(24):06x}"
    blocks: list = []
    live_times: list[str] = []
    if p.kind in ("news", "pph", "paywalled", "video"):
        count = rng.randint(1, 2) if p.kind == "video" else rng.randint(3, 9)
        blocks = [Paragraph(t) for t in corpus.paragraphs(rng, topic, count, year=year)]
        if p.kind != "video":
            for k in range(rng.choice((0, 1, 1, 2))):
                cap = corpus.fill(rng.choice(corpus.CAPTIONS), rng, topic, year=year) if rng.random() < 0.75 else ""
                if any(isinstance(x, Figure) and x.caption == cap for x in blocks):
                    cap = ""  # no repeated caption within one article
                pos = rng.randint(1, len(blocks))
                blocks.insert(pos, Figure(f"{img_base}_{k}.jpg", cap))
        if p.kind == "pph" and rng.random() < 0.6:
            credit_editor = rng.choice(corpus.PPH_CREDIT_NAMES)
            credits = [
                Paragraph(f"作者|{rng.choice(corpus.PPH_CREDIT_NAMES)}"),
                Paragraph(f"编辑|{credit_editor}"),
                Paragraph(f"出品|{account}"),
            ]
            pos = min(len(blocks), rng.randint(1, 2))
            blocks[pos:pos] = credits
            editor = credit_editor
    elif p.kind == "live":
        picks = sorted(rng.sample(range(len(corpus.LIVE_MESSAGES)), rng.randint(3, len(corpus.LIVE_MESSAGES))))
        for template in (corpus.LIVE_MESSAGES[k] for k in picks):
            t = pub + timedelta(minutes=rng.randint(1, 15) + (len(live_times) * 20))
            live_times.append(t.strftime("%Y-%m-%d %H:%M"))
            msg = corpus.fill(template, rng, topic, year=year)
            blocks.append(Paragraph(msg[msg.index("，") + 1 :]))
    interaction = rng.choice(("0", "3", "75", "412", "1.2万", "2.6万"))
    return MockArticle(
        cont_id=p.cont_id,
        kind=p.kind,
        layout=p.layout,
        title=title,
        summary=summary,
        pub_time=pub,
        author_raw=author_raw,
        author=author,
        author_outlet=outlet or account,  # a 澎湃号 post: its account
        editor=editor if p.kind not in GONE_KINDS + ("external",) else "",
        source=source,
        node_id=node.node_id,
        node_name=node.name,
        channel_id=node.channel_id,
        channel_name=node.channel_name,
        tags=tags,
        blocks=blocks,
        external_url=f"https://www.example-partner.cn/article/{p.cont_id}" if p.kind == "external" else "",
        video_url=(
            f"https://cloudvideo.thepaper.cn/clt/{pub:%Y/%m/%d}/{rng.getrandbits(64):016x}.mp4"
            if p.kind == "video"
            else ""
        ),
        robots_disallowed=p.kind == "gone_offline" and _robots_bit(seed, p.index),
        index=p.index,
        pub_ms=p.pub_ms,
        version=1,
        pph_account=account,
        pic=f"{img_base}_cover.jpg",
        interaction_num=interaction,
        praise_times=rng.choice(("0", "12", "521", "1.2万")),
        build=_mix(seed, p.cont_id, 5) % 3,
        live_times=live_times,
    )


def _robots_bit(seed: int, index: int) -> bool:
    return index == 2 or _mix(seed, index, 3) % 2 == 0


def _byline(rng: random.Random, kind: str) -> tuple[str, str, str]:
    """(author_raw, author, author_outlet) as shown on the page and as expected."""
    if kind == "pph":
        if rng.random() < 0.3:
            name = corpus.person_name(rng)
            return name, name, ""
        return "", "", ""
    r = rng.random()
    a, b = corpus.person_name(rng), corpus.person_name(rng)
    if r < 0.68:
        return f"澎湃新闻记者 {a}", a, ""
    if r < 0.78:
        return f"澎湃新闻实习生 {a} 记者 {b}", f"{a} {b}", ""
    if r < 0.9:
        outlet = rng.choice(corpus.OUTLETS)
        return f"{a}/@{outlet}", a, outlet
    return "", "", ""
