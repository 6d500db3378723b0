"""Per-layout extraction through the whole chain, on hand-written fixtures and real samples."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from cleaning.document import clean_document, clean_file
from cleaning.listitem import record_from_list_item
from cleaning.extract import sniff
from domain.record import SHANGHAI, TruncatedPageError, UnknownLayoutError
from tests.conftest import SAMPLES

DATA = Path(__file__).parent / "data" / "extract"


def sh(*a):
    return datetime(*a, tzinfo=SHANGHAI)


EXPECTED = {
    "nextjs_news.html": dict(
        layout="nextjs",
        cont_id=24801234,
        content_type="news",
        title="国产超导量子计算机完成千次连续运行",
        summary="研究团队称，系统稳定性较去年提升明显。",
        published_at=sh(2023, 10, 7, 13, 41),
        author="朱轩",
        author_outlet="",
        editor="李跃群",
        source="澎湃新闻",
        node_id=27234,
        node_name="科学湃",
        channel_id=119908,
        channel_name="科技",
        tags=["量子计算", "超导"],
        images=[("https://imgpai.thepaper.cn/newpai/image/q1.jpg", "实验室里的稀释制冷机。澎湃新闻记者 朱轩 图")],
        paragraphs=[
            "10月7日，记者从合肥获悉，一台超导量子计算机完成了1000次连续运行。",
            "研究人员表示，这一结果意味着系统的稳定性 显著提升。",
            "实验室里的稀释制冷机。澎湃新闻记者 朱轩 图",
            "Quantum error correction remains the next hurdle.",
            "该计算机已接入“量子计算云平台”，并于今年完成了备案。",
        ],
    ),
    "nextjs_dom_only.html": dict(
        layout="nextjs",
        cont_id=25000001,
        content_type="news",
        title="特稿｜芯片工厂里的夜班",
        summary="一座晶圆厂的二十四小时。",
        published_at=sh(2024, 3, 2, 8, 5),
        author="魏哲哲",
        author_outlet="人民日报",
        editor="陈晨",
        source="澎湃新闻",
        node_id=25434,
        node_name="10%公司",
        channel_id=25951,
        channel_name="财经",
        tags=["芯片", "制造"],
        images=[("https://imgpai.thepaper.cn/newpai/image/fab.jpg", "晶圆厂的无尘车间。")],
        paragraphs=[
            "凌晨两点，无尘车间里依然灯火通明。",
            "晶圆厂的无尘车间。",
            "工程师说：“设备一停，损失按分钟计算。”",
            "公司已取得《增值电信业务经营许可证》，客户端用户超过一千万。",
        ],
    ),
    "desktop_old.html": dict(
        layout="desktop_old",
        cont_id=None,
        content_type="news",
        title="长征火箭再次发射成功",
        summary="",
        published_at=sh(2019, 5, 17, 23, 48),
        author="王宁 李明",
        author_outlet="",
        editor="张宇",
        source="澎湃新闻",
        node_id=27234,
        node_name="科学湃",
        channel_id=119908,
        channel_name="科技",
        tags=["航天", "火箭"],
        images=[("http://image.thepaper.cn/www/image/rocket.jpg", "火箭点火升空。新华社 图")],
        paragraphs=[
            "5月17日23时48分，火箭在西昌卫星发射中心点火升空。",
            "火箭点火升空。新华社 图",
            "这是该型火箭的第30次发射。",
            "1.",
            "卫星顺利进入预定轨道。",
        ],
    ),
    "api_detail.json": dict(
        layout="api_json",
        cont_id=30001234,
        content_type="news",
        title="月背样品揭示的新线索",
        summary="科学家在样品中发现了新的矿物。",
        published_at=sh(2025, 2, 11, 16, 20),
        author="周思远",
        author_outlet="",
        editor="",
        source="",
        node_id=119449,
        node_name="科学城邦",
        channel_id=119908,
        channel_name="科技",
        tags=["月球", "样品"],
        images=[],
        paragraphs=["嫦娥六号带回的样品中发现了一种新矿物。", "研究论文发表在《自然》杂志上。"],
    ),
}


def _fields(rec) -> dict:
    d = {k: getattr(rec, k) for k in EXPECTED["nextjs_news.html"]}
    d["images"] = [(i.src, i.caption) for i in rec.images]
    return d


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_layouts(name):
    rec = clean_file(DATA / name)
    assert _fields(rec) == EXPECTED[name]


def test_nextjs_json_wins_over_dom_text():
    rec = clean_file(DATA / "nextjs_news.html")
    assert "DOM copy" not in rec.body_text


def test_nextjs_broken_json_falls_back_to_dom():
    raw = (DATA / "nextjs_news.html").read_text(encoding="utf-8")
    cut = raw[: raw.index('"content":') + 30] + "</script></body></html>"  # JSON cut off mid-string
    rec = clean_document(cut.encode("utf-8"), url="https://www.thepaper.cn/newsDetail_forward_24801234")
    assert rec.paragraphs == ["DOM copy that must not be used when the JSON is fine."]
    assert rec.title == "国产超导量子计算机完成千次连续运行"
    assert rec.published_at == sh(2023, 10, 7, 13, 41) and rec.source == "澎湃新闻" and rec.editor == "李跃群"
    assert rec.author == "朱轩" and rec.node_id == 27234


def test_nextjs_unterminated_json_and_no_body_is_truncated():
    raw = (DATA / "nextjs_news.html").read_text(encoding="utf-8")
    raw = re.sub(r'<div class="index_cententWrap__\w+">.*?</div>', "", raw)
    cut = raw[: raw.index('"content":') + 30]
    with pytest.raises(TruncatedPageError, match="__NEXT_DATA__"):
        clean_document(cut.encode("utf-8"))


def test_nextjs_page_cut_inside_the_dom_body_without_json_is_truncated():
    raw = (DATA / "nextjs_dom_only.html").read_text(encoding="utf-8")
    cut = raw[: raw.index("工程师说")]
    with pytest.raises(TruncatedPageError):
        clean_document(cut.encode("utf-8"))


def test_offline_notice_is_gone():
    rec = clean_file(DATA / "desktop_offline.html", url="http://www.thepaper.cn/newsDetail_forward_1500000")
    assert (rec.content_type, rec.gone_reason, rec.cont_id, rec.paragraphs) == ("gone", "offline_notice", 1500000, [])


def test_mobile_2017_real_sample():
    rec = clean_file(SAMPLES / "m_thepaper_2017_newsDetail_forward_1787647.html")
    assert rec.layout == "mobile_2017" and rec.cont_id == 1787647
    assert rec.title == "一周文化讲座｜书店与城市风格：书店对于城市有指标意义吗？"
    assert rec.author == "杨卓君"  # byline "杨卓君/整理": 整理 is the role
    assert rec.published_at == sh(2017, 9, 8, 10, 30)
    assert rec.editor == "顾明" and rec.source == "澎湃新闻"
    assert (rec.node_id, rec.node_name) == (25574, "翻书党")
    assert rec.tags == ["讲座", "预告", "书店", "城市"]
    assert rec.paragraphs[:4] == [
        "北京│从《劳燕》到《二十二》——战争与女性",
        "时间：9月8日（周五）19:00-21:00",
        "地点：朝阳区望京中环南路1号社科院研究生院D座2层单向空间",
        "嘉宾：郭柯（导演）、张翎（作家）",
    ]
    assert rec.paragraphs[-1].startswith("9月10日，文化学者、中国民间文艺家协会会员顾庆丰")
    assert len(rec.images) == 19 and all(i.src.startswith("http://image.thepaper.cn/") for i in rec.images)
    text = rec.body_text
    for chrome in ("点击查看全文", "未经授权不得转载", "热门推荐", "打开澎湃新闻APP", "下载澎湃APP", "责任编辑"):
        assert chrome not in text
    assert rec.stripped.get("disclaimer") == 1


def test_mirror_text_dump_structure():
    rec = clean_file(
        SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt",
        url="http://www.nxos.com.cn/newsDetail_forward_32400625",
    )
    assert rec.layout == "text_dump" and rec.content_type == "pph"
    assert (rec.cont_id, rec.mirror_host) == (32400625, "www.nxos.com.cn")
    assert rec.url == "https://www.thepaper.cn/newsDetail_forward_32400625"
    assert rec.published_at == sh(2026, 1, 18, 10, 59)
    assert rec.title.startswith("MiniMax、智")
    assert rec.source.startswith("澎湃新")
    first = rec.paragraphs[0]
    assert first.startswith("2026年初") and "+1" not in rec.paragraphs
    credits = [p for p in rec.paragraphs if re.match(r"^(作者|编辑|編輯|出品)\|", p)]
    assert len(credits) == 3 and rec.paragraphs.index(credits[0]) == 2
    assert rec.editor in ("皮爷", "皮爺")
    text = rec.body_text
    for gone in (
        "无码",
        "字号",
        "字號",
        "收藏",
        "舉報",
        "举报",
        "查看更多",
        "ICP",
        "公網",
        "公网",
        "許可證",
        "2014-2026",
        "本文為澎湃號",
        "本文为澎湃号",
        "客戶端",
        "客户端",
    ):
        assert gone not in text, gone
    assert rec.stripped["spam_header"] == 1 and rec.stripped["licence"] == 5 and rec.stripped["disclaimer"] == 1
    assert rec.stripped["widget"] >= 6


MIRROR_DUMP = """首页 资讯 正文
国产大模型加快商业化
2024-05-06 10:20
来源：澎湃新闻
近日，国产大模型公司纷纷加快了商业化步伐，多家企业展示了新的智能体产品。
{inline}
{caption}
业内人士告诉记者，这一轮竞争的核心是算力成本，详见https://www.thepaper.cn/newsDetail_forward_1 的报道。
"""


@pytest.mark.parametrize(
    "inline, caption, images",
    [
        (
            "https://imagecloud.thepaper.cn/thepaper/image/321/456/789.jpg",
            "图为发布会现场。",
            [("https://imagecloud.thepaper.cn/thepaper/image/321/456/789.jpg", "图为发布会现场。")],
        ),
        (
            "//imgpai.thepaper.cn/newpai/image/1.png?x-oss-process=image/resize",
            "发布会现场",
            [("https://imgpai.thepaper.cn/newpai/image/1.png?x-oss-process=image/resize", "发布会现场")],
        ),
        ("现场图片：http://example.com/a/b.JPEG", "图1 展台", [("http://example.com/a/b.JPEG", "")]),
    ],
)
def test_mirror_dump_inline_image_urls_become_images(inline, caption, images):
    """Site notes §6 item 8: image URLs inlined as text leave the text for ``images``; a caption
    line after one stays where the site prints captions and becomes its caption; links to pages stay."""
    rec = clean_document(
        MIRROR_DUMP.format(inline=inline, caption=caption).encode("utf-8"),
        url="http://www.nxos.com.cn/newsDetail_forward_24001234",
    )
    assert [(i.src, i.caption) for i in rec.images] == images
    assert "http" not in "".join(p for p in rec.paragraphs if "newsDetail" not in p)
    assert caption in rec.paragraphs
    assert any("newsDetail_forward_1" in p for p in rec.paragraphs)  # a page link is text
    assert rec.stripped["inline_image"] == 1
    if inline.startswith("现场"):
        assert "现场图片：" in rec.paragraphs


_BODY = (
    "研究团队表示，这项技术已经在三家医院完成了临床前验证，下一步将扩大样本规模，并与产业伙伴合作"
    "推进量产工艺的优化和成本控制。",
    "业内人士认为，该领域的竞争正在从实验室走向生产线，资本和人才都在向"
    "头部企业集中，监管部门也在加快制定相关的标准和规范。",
)


@pytest.mark.parametrize(
    "head, title",
    [
        (
            ["某某特稿｜一座城市的新势力"],
            "某某特稿｜一座城市的新势力",
        ),  # shares no words with the body: still the title
        (["免费在线观看|高清影视大全|彩票计划网|在线娱乐平台"], ""),  # keyword spam is never a title
    ],
)
def test_text_dump_title_right_above_the_time_line(head, title):
    dump = "\n".join(["  • +1", *head, "2024-05-06 10:20", "来源：澎湃新闻", *_BODY])
    rec = clean_document(dump.encode("utf-8"), url="http://www.nxos.com.cn/newsDetail_forward_24001235")
    assert rec.title == title


def test_api_list_item_real_sample():
    item = json.loads((SAMPLES / "api_list_item_32126241.json").read_text(encoding="utf-8"))
    rec = record_from_list_item(item)
    assert rec.cont_id == 32126241 and rec.content_type == "news" and rec.external_url is None
    assert rec.title == "言短意长｜起底“全网最忙五人组”彰显建设性舆论监督力量"
    assert rec.published_at == sh(2025, 12, 7, 20, 27)
    assert (rec.node_id, rec.node_name, rec.channel_id) == (25462, "中国政库", 25388)
    assert rec.tags == ["言短意长"] and rec.paragraphs == []
    # the same item given as a whole JSON document goes through clean_document
    rec2 = clean_document(json.dumps(item, ensure_ascii=False).encode("utf-8"))
    assert (rec2.cont_id, rec2.title, rec2.layout) == (32126241, rec.title, "api_json")


def test_external_list_item():
    item = {
        "contId": "32000117",
        "name": "合作方报道",
        "link": "https://www.example-partner.cn/a/1",
        "pubTimeLong": 1736290630073,
        "nodeInfo": {"nodeId": 25434, "name": "10%公司"},
        "paywalled": False,
    }
    rec = record_from_list_item(item)
    assert (rec.content_type, rec.external_url, rec.channel_id, rec.channel_name) == (
        "external",
        "https://www.example-partner.cn/a/1",
        25951,
        "财经",
    )


SNIFF = [
    ("nextjs_news.html", "nextjs"),
    ("nextjs_dom_only.html", "nextjs"),
    ("desktop_old.html", "desktop_old"),
    ("desktop_offline.html", "desktop_old"),
    ("api_detail.json", "json"),
]


@pytest.mark.parametrize("name,kind", SNIFF)
def test_sniff_fixtures(name, kind):
    assert sniff((DATA / name).read_text(encoding="utf-8")) == kind


def test_sniff_samples_and_edge_cases():
    assert (
        sniff((SAMPLES / "m_thepaper_2017_newsDetail_forward_1787647.html").read_text(encoding="utf-8"))
        == "mobile_2017"
    )
    assert sniff((SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt").read_text(encoding="utf-8")) == "text"
    assert sniff("") == "empty" and sniff(" \n\ufeff ") == "empty"
    assert sniff("<html><body><p>hi</p></body></html>") == "html"
    assert sniff("{not json") == "text"


def test_unknown_html_without_structure_is_refused():
    with pytest.raises(UnknownLayoutError, match="no known layout"):
        clean_document(b"<html><body><div>hello</div><p>world</p></body></html>")


def test_unknown_mirror_template_read_as_text():
    page = (
        "<html><body><div class='top'>首页 资讯 正文</div><h2>国产大模型开源新版本</h2>"
        "<div>2025-03-01 09:15</div><div>来源：澎湃新闻</div><div class='c'><p>某公司今天发布了新版本的大模型。</p>"
        "<p>新版本在推理速度上提升了一倍。</p></div><div>沪ICP备14003370号</div></body></html>"
    )
    rec = clean_document(page.encode("utf-8"), url="http://www.foo-mirror.com.cn/newsDetail_forward_31000001")
    assert rec.layout == "unknown" and rec.title == "国产大模型开源新版本" and rec.source == "澎湃新闻"
    assert rec.paragraphs == ["某公司今天发布了新版本的大模型。", "新版本在推理速度上提升了一倍。"]
    assert rec.mirror_host == "www.foo-mirror.com.cn" and rec.stripped["licence"] == 1
