"""Bundled text material for the mock site: Chinese tech-news sentences, titles,
captions, names. Written for this project; every string is filled from slots by
``fill`` with a seeded ``random.Random`` so the data set is deterministic.

Some sentences mention 备案, 许可证 and 客户端 in ordinary prose: they are the
negative cases for the boilerplate stripper (it must not drop them).
"""

from __future__ import annotations

import random

TOPICS = ("ai", "chips", "space", "bio", "ev", "quantum", "company")

COMPANIES = {
    "ai": ["MiniMax", "智谱", "月之暗面", "百川智能", "深度求索", "阶跃星辰", "商汤科技", "科大讯飞"],
    "chips": ["中芯国际", "华虹半导体", "寒武纪", "海光信息", "长江存储", "摩尔线程", "壁仞科技"],
    "space": ["银河航天", "蓝箭航天", "星河动力", "天仪研究院", "长光卫星", "时空道宇"],
    "bio": ["药明康德", "百济神州", "信达生物", "华大基因", "君实生物", "恒瑞医药"],
    "ev": ["比亚迪", "蔚来", "小鹏汽车", "理想汽车", "零跑汽车", "宁德时代", "极氪"],
    "quantum": ["本源量子", "国盾量子", "玻色量子", "量旋科技", "中科院量子信息重点实验室"],
    "company": ["华为", "腾讯", "阿里巴巴", "字节跳动", "小米", "大疆", "联想集团", "京东"],
}

PRODUCTS = {
    "ai": ["大模型", "多模态模型", "推理芯片集群", "智能体平台", "开源权重", "语音合成系统"],
    "chips": ["7纳米制程", "存储芯片", "GPU", "先进封装产线", "光刻胶", "车规级MCU"],
    "space": ["低轨卫星", "可回收火箭", "卫星互联网星座", "遥感卫星", "液氧甲烷发动机"],
    "bio": ["创新药", "基因编辑疗法", "mRNA疫苗", "抗体药物偶联物(ADC)", "细胞疗法"],
    "ev": ["固态电池", "智能驾驶系统", "800V高压平台", "换电站", "纯电SUV"],
    "quantum": ["超导量子计算机", "量子密钥分发网络", "光量子芯片", "量子纠错码"],
    "company": ["操作系统", "云计算平台", "折叠屏手机", "无人机", "数据中心"],
}

CITIES = ["上海", "北京", "深圳", "杭州", "合肥", "苏州", "武汉", "成都", "西安", "广州"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱马胡郭林何高罗郑梁谢宋唐韩冯"
GIVEN = ["轩", "晨", "一鸣", "思远", "雨桐", "子涵", "浩然", "佳琪", "嘉怡", "明", "婷", "磊", "宁", "博文", "哲"]
EXPERTS = ["中国科学院院士", "清华大学教授", "复旦大学研究员", "上海交通大学副教授", "行业分析师", "公司首席技术官"]
OUTLETS = ["人民日报", "新华社", "科技日报", "光明日报", "中国新闻网"]
PPH_ACCOUNTS = ["集智俱乐部", "产业家", "甲子光年", "硬科技观察", "未来智库", "芯片研究所", "星际航行笔记"]
PPH_CREDIT_NAMES = ["斗斗", "皮爷", "小北", "阿蓝", "木子", "老K"]

SENTENCES = {
    "ai": [
        "{company}表示，将向开发者开放{product}的调用接口，首月免费额度为{small}亿tokens。",
        "一位不愿具名的投资人说，今年以来，{city}的AI初创公司融资事件已超过{num}起。",
        "{company}近日发布新一代{product}，参数规模达到{num}亿，在多项中文评测中位列前三。",
        "据{company}介绍，新模型的推理成本较上一代下降了{pct}%，每百万tokens价格降至{small}元。",
        "{expert}{person}告诉澎湃科技，人工智能(AI)的竞争正在从“拼参数”转向“拼应用”。",
        "截至{date}，已有{num}款生成式人工智能服务完成备案，覆盖教育、医疗、金融等领域。",
        "业内人士认为，大模型企业密集上市，将带动算力、数据标注和应用开发整条产业链。",
        "在{city}举行的发布会上，{company}演示了智能体自动完成订票、写代码和整理报表的过程。",
        "有开发者在社交平台上表示：“开源之后，小团队也能在一张GPU上微调自己的模型。”",
    ],
    "chips": [
        "据了解，{company}在{city}的新厂房已进入设备调试阶段。",
        "GPU供不应求的局面短期内难以缓解，不少企业开始转向国产替代方案。",
        "{company}披露的财报显示，公司{year}年营收达到{num}亿元，同比增长{pct}%。",
        "{expert}{person}指出，国产{product}的良率仍是制约产能释放的关键。",
        "目前，{city}已形成从设计、制造到封装测试的集成电路产业集群，集聚企业超过{num}家。",
        "受人工智能需求拉动，高带宽存储(HBM)订单排期已延长至{small}个月以上。",
        "{company}相关负责人表示，新产线预计于{date}前后投产，月产能约{num}片晶圆。",
        "为什么先进封装如此重要？业内人士解释，它能让多颗芯片像一颗芯片那样协同工作。",
    ],
    "space": [
        "{company}表示，下一步将开展入轨级火箭的海上回收试验。",
        "卫星在轨运行约{small}天后，传回了第一批高分辨率影像。",
        "{date}，{company}研制的{product}在酒泉卫星发射中心发射升空，卫星顺利进入预定轨道。",
        "此次任务共搭载{small}颗卫星，将用于遥感观测、物联网通信和在轨技术验证。",
        "{expert}{person}介绍，商业航天企业取得发射许可证后，还需完成频率协调等多项程序。",
        "按照规划，该星座将在{year}年前完成约{num}颗卫星的组网部署。",
        "火箭一子级成功完成垂直回收试验，落点精度控制在{small}米以内！",
        "业内人士表示，可回收技术有望把单次发射成本降低{pct}%左右。",
    ],
    "bio": [
        "该药物此前已在美国获得突破性疗法认定，国内上市申请于{date}获受理。",
        "{company}称，相关产品的商业化团队已覆盖全国{num}余家医院。",
        "{company}宣布，其自主研发的{product}获得国家药监局批准上市，用于治疗晚期实体瘤。",
        "临床试验数据显示，患者客观缓解率达到{pct}%，中位无进展生存期为{small}个月。",
        "{expert}{person}认为，基因编辑技术正从实验室走向临床，但安全性评估仍需更长时间。",
        "研究团队在《自然》杂志发表论文，揭示了一种调控细胞衰老的新机制。",
        "{city}生物医药产业园已聚集企业{num}余家，去年产值突破千亿元。",
        "该疗法的定价备受关注：“我们希望让更多患者用得起。”公司负责人说。",
    ],
    "ev": [
        "{company}表示，{product}将首先搭载于{year}款旗舰车型。",
        "乘联会数据显示，新能源汽车零售渗透率已连续{small}个月超过50%。",
        "{company}公布数据，{month}月新能源汽车交付量达到{num}辆，同比增长{pct}%。",
        "搭载{product}的新车型将于{date}上市，官方公布的续航里程超过{num}公里。",
        "{expert}{person}表示，电池成本持续下降，让纯电车型与燃油车的价格差距进一步缩小。",
        "用户可以在手机客户端上预约充电和远程启动空调，系统还会自动推荐附近的换电站。",
        "在{city}的超级工厂里，平均每{small}分钟就有一辆整车下线。",
        "智能驾驶功能的推送节奏，仍需遵守道路测试许可证和数据安全的相关要求。",
    ],
    "quantum": [
        "{company}计划在{year}年推出面向科研机构的云端量子计算服务。",
        "这台机器运行在接近绝对零度的稀释制冷机中，外观像一盏倒挂的金色吊灯。",
        "{company}宣布其{product}实现{small}个量子比特的相干操控，保真度超过99.{small}%。",
        "{expert}{person}解释：“量子纠错是通往实用化量子计算的必经之路。”",
        "连接{city}与周边城市的量子保密通信干线已累计运行超过{num}天。",
        "研究人员在实验中首次观测到这一现象，相关成果发表于《物理评论快报》。",
        "量子计算离真正的大规模应用还有多远？多位专家给出了不同的判断。",
    ],
    "company": [
        "{company}{month}月发布的新品首销当天销量突破{num}万台。",
        "对于市场传闻，{company}相关人士回应称“以公司公告为准”。",
        "{company}{date}发布的公告显示，公司拟投资{small}0亿元建设新的研发中心。",
        "{company}方面回应澎湃新闻称，相关业务调整不会影响现有用户的正常使用。",
        "{expert}{person}分析，科技公司的增长重心正在从国内市场转向海外市场。",
        "根据公司披露，{year}年研发投入占营收比例为{pct}%，研发人员超过{num}人。",
        "新版客户端上线后，日活跃用户数在一周内增长了{pct}%。",
        "该项目已完成环评备案，预计{year}年底竣工投用。",
    ],
}

TITLES = {
    "ai": [
        "{company}发布新一代{product}，推理成本下降{pct}%",
        "大模型公司扎堆上市，{company}会是下一个吗",
        "特稿｜一家{city}AI公司的{num}天",
        "生成式AI服务备案数量突破{num}款",
    ],
    "chips": [
        "{company}{year}年营收增长{pct}%，{product}产能持续爬坡",
        "国产{product}突围：良率之战",
        "科创板观察｜{company}的新产线",
    ],
    "space": [
        "{company}{product}发射成功，{small}颗卫星入轨",
        "商业航天的“回收”时刻",
        "对话｜{company}创始人：把发射成本降下来",
    ],
    "bio": ["{company}{product}获批上市", "基因编辑走向临床：机遇与风险", "特稿｜{city}的生物医药新势力"],
    "ev": [
        "{company}{month}月交付{num}辆，{product}成新卖点",
        "价格战之后，新能源车企拼什么",
        "数据｜{city}超级工厂每{small}分钟下线一辆车",
    ],
    "quantum": ["{company}实现{small}比特量子芯片操控", "量子计算离实用还有多远", "科学湃｜量子纠错迎来新进展"],
    "company": [
        "{company}拟投资{small}0亿元建研发中心",
        "{company}海外收入占比首次过半",
        "10%公司｜{company}的第二增长曲线",
    ],
}

CAPTIONS = [
    "{date}，{city}，{company}展台前的参观者。视觉中国 图",
    "{company}发布会现场。受访者供图",
    "图片来源：{company}官网",
    "{city}一处研发中心内景。澎湃新闻记者 {person} 图",
    "资料图",
]

SUMMARIES = [
    "{company}相关负责人表示，{product}将在年内实现规模化应用。",
    "业内人士认为，{product}的竞争已进入下半场。",
    "澎湃科技梳理发现，{city}已聚集相关企业{num}余家。",
]

LIVE_MESSAGES = [
    "{time}，发布会正式开始，{company}负责人上台致辞。",
    "{time}，{company}展示了{product}的实测效果。",
    "{time}，现场问答环节，有观众询问产品何时在{city}上市。",
    "{time}，{expert}{person}在圆桌讨论中谈到行业前景。",
    "{time}，发布会结束。澎湃新闻将持续关注。",
]

TAGS = {
    "ai": ["人工智能", "大模型", "AIGC"],
    "chips": ["芯片", "半导体", "集成电路"],
    "space": ["商业航天", "卫星", "火箭"],
    "bio": ["生物医药", "创新药", "基因编辑"],
    "ev": ["新能源汽车", "电池", "智能驾驶"],
    "quantum": ["量子计算", "量子通信"],
    "company": ["科技公司", "财报", "出海"],
}


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def fill(template: str, rng: random.Random, topic: str, *, year: int = 2025) -> str:
    """Fill the ``{slot}`` placeholders of ``template`` for ``topic``."""
    month = rng.randint(1, 12)
    values = {
        "company": rng.choice(COMPANIES[topic]),
        "product": rng.choice(PRODUCTS[topic]),
        "city": rng.choice(CITIES),
        "person": person_name(rng),
        "expert": rng.choice(EXPERTS),
        "num": str(rng.choice([12, 36, 58, 120, 300, 450, 1000, 1800, 2600, 8000])),
        "pct": str(rng.randint(5, 95)),
        "small": str(rng.randint(2, 9)),
        "year": str(year),
        "month": str(month),
        "date": f"{year}年{month}月{rng.randint(1, 28)}日",
        "time": f"{rng.randint(9, 17):02d}:{rng.randint(0, 59):02d}",
    }
    return template.format(**values)


def paragraphs(rng: random.Random, topic: str, count: int, *, year: int = 2025) -> list[str]:
    """``count`` paragraphs of one to four sentences, drawn from a shuffled deck of
    the topic's (and the generic company) sentences so that none repeats until
    the deck runs out; no two paragraphs are equal."""
    deck: list[tuple[str, str]] = []
    out: list[str] = []
    while len(out) < count:
        sentences = []
        for _ in range(rng.randint(1, 4)):
            if not deck:
                deck = [(t, topic) for t in SENTENCES[topic]]
                if topic != "company":
                    deck += [(t, "company") for t in rng.sample(SENTENCES["company"], 3)]
                rng.shuffle(deck)
            template, t_topic = deck.pop()
            sentences.append(fill(template, rng, t_topic, year=year))
        text = "".join(sentences)
        if text not in out:  # real articles do not repeat a paragraph
            out.append(text)
    return out
