"""Boilerplate stripping: one table row per shape, with the negatives that must survive."""

from __future__ import annotations

import pytest

from cleaning import boilerplate as bp

# (paragraph, kind when at the edge of the text, kind in the middle of the text)
CLASSIFY = [
    # licence and registration notices, their Traditional / damaged / other-site forms
    ("沪ICP备14003370号", "licence", "licence"),
    ("滬ICP備14003370號", "licence", "licence"),
    ("京ICP证030173号", "licence", "licence"),
    ("粤ICP备2021123456号-3", "licence", "licence"),
    ("沪ICP证：沪B2-2017116 | 沪ICP备14003370号", "licence", "licence"),
    ("沪公网安备31010602000299号", "licence", "licence"),
    ("滬公網安備31010602000299號", "licence", "licence"),
    ("京公网安备 11000002000001号", "licence", "licence"),
    ("互联网新闻信息服务许可证：31120170006", "licence", "licence"),
    ("互聯網新聞信息服務許可證:31120170006", "licence", "licence"),
    ("增值电信业务经营许可证：沪B2-2017116", "licence", "licence"),
    ("增值電信業務經營許可證:滬B2-2017116", "licence", "licence"),
    ("网络文化经营许可证：沪网文〔2019〕1234-100号", None, None),  # unusual number shape: left alone
    ("© 2014-2026 上海东方报业有限公司", "licence", "licence"),
    ("? 2014-2026 上海東方報業有限公司", "licence", "licence"),
    ("Copyright © 2014~2021 The Paper All rights reserved.", "licence", "licence"),
    ("上海东方报业有限公司", "licence", None),
    # pinyin-annotated (not yet repaired) copies of the same lines
    ("滬公網(wǎng)安備31010602000299號", "licence", "licence"),
    ("互聯(lián)網(wǎng)新聞信息服務(wù)許可證:31120170006", "licence", "licence"),
    # disclaimers and reprint notices
    (
        "本文为澎湃号作者或机构在澎湃新闻上传并发布，仅代表该作者或机构观点，不代表澎湃新闻的观点或立场，"
        "澎湃新闻仅提供信息发布平台。申请澎湃号请用电脑访问http://renzheng.thepaper.cn。",
        "disclaimer",
        "disclaimer",
    ),
    (
        "本文為澎湃號作者或機(jī)構(gòu)在澎湃新聞上傳并發(fā)布,僅代表該作者或機(jī)構(gòu)觀點,不代表澎湃新聞的觀點或立場。",
        "disclaimer",
        "disclaimer",
    ),
    ("澎湃新闻，未经授权不得转载。新闻报料：4009-20-4009", "disclaimer", "disclaimer"),
    ("新闻报料：4009-20-4009", "disclaimer", "disclaimer"),
    ("扫码下载澎湃新闻客户端", "widget", "widget"),
    ("掃碼下載澎湃新聞客戶端", "widget", "widget"),
    # chrome and widgets: only at the edges
    ("+1", "widget", None),
    ("- +1", "widget", None),
    ("• +1", "widget", None),
    ("? +1", "widget", None),  # the bullet lost in a GBK mirror
    ("字号", "widget", None),
    ("收藏", "widget", None),
    ("我要举报", "widget", None),
    ("查看更多", "widget", None),
    ("澎湃Logo", "widget", None),
    ("下载客户端", "widget", None),
    ("登录", "widget", None),
    ("评论（75）", "widget", None),
    ("打开澎湃新闻APP，发表评论", "widget", None),
    ("关键词 >> 航天 火箭", "widget", None),
    ("首页 资讯 正文", "breadcrumb", None),
    ("首页 > 科技 > 科学湃", "breadcrumb", None),
    ("直击现场 >", "column_link", None),
    ("科学湃 >", "column_link", None),
    ("1.2万", "counter", None),
    ("521", "counter", None),
    ("首页 时事 财经 科技 思想 生活", "widget", None),  # a flattened nav bar
    ("时事 财经 科技 思想 生活 视频", "widget", None),
    ("2023-10-07 13:41", "byline", None),
    ("来源：澎湃新闻", "byline", None),
    ("澎湃新闻记者 朱轩", "byline", None),
    ("澎湃新闻实习生 王某 记者 李某", "byline", None),
    ("原创 徐博文 集智俱乐部", "byline", None),
    ("责任编辑：顾明", "editor", None),
    # negatives: article text that merely mentions the same words
    ("截至2025年6月，国家网信办披露已有346款生成式AI服务完成备案。", None, None),
    ("公司已取得《增值电信业务经营许可证》，客户端用户超过一千万。", None, None),
    ("该应用的ICP备案正在办理中，预计下月完成。", None, None),
    ("下载客户端的用户中，七成来自三线以下城市。", None, None),
    ("特稿｜芯片工厂里的夜班", None, None),
    ("作者|斗斗", None, None),
    ("编辑|皮爷", None, None),
    ("出品|产业家", None, None),
    ("1.", None, None),
    ("（2025）", None, None),
    ("好。", None, None),
    ("他说：“收藏这些老照片，是为了记住那个年代。”", None, None),
    ("2014年至2026年，上海东方报业有限公司的营收持续增长。", None, None),
]


@pytest.mark.parametrize("text,edge_kind,middle_kind", CLASSIFY)
def test_classify(text, edge_kind, middle_kind):
    assert bp.classify(text) == edge_kind
    assert bp.classify(text, edge=False) == middle_kind


def test_rules_are_one_table_of_kind_regex_scope():
    assert bp.RULES and all(len(r) == 3 and r[2] in ("any", "edge") and hasattr(r[1], "match") for r in bp.RULES)
    kinds = {r[0] for r in bp.RULES}
    assert {"licence", "disclaimer", "widget", "breadcrumb", "counter", "byline"} <= kinds


SPAM = [
    ("中文字幕国产91无码|AV成人手机在线|av成人先锋在线|911无码在线国产人人操|91蜜桃视频精品免费在线", True),
    ("澳门博彩官网|博彩平台注册|线上博彩娱乐|真人博彩开户|博彩送彩金", True),
    ("高清免费观看|免费在线播放|最新免费电影|免费视频在线看", True),
    ("特稿｜芯片工厂里的夜班", False),
    ("言短意长｜起底“全网最忙五人组”彰显建设性舆论监督力量", False),
    ("A股|港股|美股", False),
    ("营收｜利润｜现金流｜负债率，四个指标决定了公司能否熬过寒冬。", False),
    ("作者|斗斗", False),
]


@pytest.mark.parametrize("line,spam", SPAM)
def test_keyword_spam_by_shape(line, spam):
    assert bp.is_keyword_spam(line) is spam


BODY = [
    "2026年初，智谱和MiniMax先后敲鐘上市，中间间隔不到48小时。",
    "两家公司的商业模式并不相同，前者偏基座模型和政企生意，后者更偏多模态和消费应用。",
    "市场给出的反馈，也直接反映出这两家公司的含金量。",
]


def test_repeated_headline_lines_and_glued_prefix():
    spam = "某地突发新闻震惊全网"
    res = bp.strip_paragraphs([spam, spam, spam + BODY[0], *BODY[1:]], title="MiniMax上市")
    assert res.paragraphs == BODY
    assert res.counts["repeated_headline"] == 3


def test_headline_repeated_three_times_inside_the_first_paragraph():
    spam = "澳门新葡京线上娱乐城"
    res = bp.strip_paragraphs([spam * 3 + BODY[0], *BODY[1:]])
    assert res.paragraphs == BODY
    assert res.counts == {"repeated_headline": 1}


@pytest.mark.parametrize("times", [2, 3, 1000, 200_000])
def test_a_headline_repeated_any_number_of_times_is_stripped_whole(times):
    """One paragraph repeated (glued into one, on lines of its own, or both) is stripped in
    one step whatever the count: counted by stepping along the text, removed in one slice
    (a 15 MB page of it cost 82 s of repeated copies before)."""
    spam = "澳门新葡京线上娱乐城"
    glued = bp.strip_paragraphs([spam * times + BODY[0], *BODY[1:]])
    assert glued.paragraphs == BODY and glued.removed == [("repeated_headline", spam * times)]
    lines = bp.strip_paragraphs([spam] * times + [spam * times + BODY[0], *BODY[1:]], title="MiniMax上市")
    assert lines.paragraphs == BODY and lines.counts == {"repeated_headline": times + 1}
    assert bp.strip_paragraphs([spam * times]).paragraphs == []  # nothing but the spam
    # negatives: a unit seen once is no repetition; a sentence repeated is text, not a headline
    assert bp.strip_paragraphs([spam + BODY[0], *BODY[1:]]).paragraphs == [spam + BODY[0], *BODY[1:]]
    sentence = "价格下降一半。"
    assert bp.strip_paragraphs([sentence] * 3 + BODY).paragraphs == [sentence] * 3 + BODY


def test_first_paragraph_that_merely_starts_like_the_next_is_kept():
    paras = ["智谱上市。", "智谱上市后，股价一度大涨。", *BODY]
    assert bp.strip_paragraphs(paras).paragraphs == paras


def test_edge_rules_do_not_touch_the_middle():
    paras = [BODY[0], "+1", "521", "收藏", BODY[1], "1.", "2.", BODY[2]]
    res = bp.strip_paragraphs(paras)
    assert res.paragraphs == paras
    assert res.counts == {}


def test_leading_and_trailing_runs_and_any_scope():
    paras = [
        "中文字幕国产91无码|AV成人手机在线|av成人先锋在线|911无码在线国产人人操",
        "• +1",
        "首页 资讯 正文",
        BODY[0],
        "沪ICP备14003370号",
        BODY[1],
        BODY[2],
        "本文为澎湃号作者或机构在澎湃新闻上传并发布，仅代表该作者或机构观点，不代表澎湃新闻的观点或立场。",
        "+1",
        "收藏",
        "我要举报",
        "查看更多",
        "扫码下载澎湃新闻客户端",
        "沪ICP备14003370号",
        "沪公网安备31010602000299号",
        "© 2014-2026 上海东方报业有限公司",
    ]
    res = bp.strip_paragraphs(paras)
    assert res.paragraphs == BODY
    assert res.counts == {"spam_header": 1, "widget": 6, "breadcrumb": 1, "licence": 4, "disclaimer": 1}


def test_nothing_to_strip_is_identity():
    assert bp.strip_paragraphs(BODY).paragraphs == BODY
    assert bp.strip_paragraphs([]).paragraphs == []


MISMATCH = [
    ("MiniMax、智谱上市背后：中国AI产业链的连锁反应正在到来", True),
    ("智谱与MiniMax双双敲钟", True),
    ("某地男子深夜醉驾撞上护栏被查", False),
    ("女明星离婚内幕曝光令人唏嘘", False),
]


@pytest.mark.parametrize("title,belongs", MISMATCH)
def test_title_belongs_to_body_by_overlap(title, belongs):
    body = "".join(BODY) * 2 + "MiniMax和智谱的上市，中国AI产业链正在发生连锁反应。"
    assert bp.belongs_to(title, body) is belongs
