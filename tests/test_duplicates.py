"""Near-duplicates: signatures, clusters in a real rebuild and update, folding, rendering.

The articles are written here (no third-party text): a report on a bridge opening and a
copy of it republished by another paper with its own headline and byline; daily weather
reports in one template; photo captions in one template."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from conftest import write_config
from whoosh import index as whoosh_index

from indexer.build import rebuild, update
from indexer.writers import kept_clusters
from search import duplicates
from search.columns import Columns, duplicate_signatures
from search.config import IndexSettings, Settings, load_settings
from search.document import Document
from search.duplicates import (
    Clusterer,
    Signature,
    fold,
    near_duplicates,
    signature,
    signature_text,
    similar_among,
    similarity,
)
from search.models import Hit, Published, Similar
from search.schema import build_schema, document_fields
from search.store import IndexStore

BRIDGE_TITLE = "跨江大桥今日通车 新区到市中心车程缩短至十五分钟"
BRIDGE = (
    "本市跨江大桥今天上午正式通车。市交通局表示，大桥全长三千二百米，双向六车道，设计时速八十公里，"
    "总投资约四十五亿元。大桥通车后，江南新区到市中心的车程将由原来的五十分钟缩短至十五分钟左右。\n"
    "交通局负责人介绍，大桥于三年前开工建设，施工期间克服了汛期水位高、江底地质条件复杂等困难，"
    "主塔基础打入江底六十米深的岩层。为保障通车初期的交通秩序，交警部门在桥两端增设了临时指挥岗，"
    "并提醒市民错峰出行，合理安排时间。\n"
    "住在江南新区的李女士说，以前每天上班都要绕行老桥，早高峰经常堵上半个小时，现在方便多了。"
    "出租车司机张师傅也表示，新桥开通后，跨江的订单明显增加，路上节省的时间可以多跑几趟。\n"
    "据了解，市政府还计划在明年建成连接大桥的轨道交通线路，并在桥下江滩修建滨江公园和自行车道，"
    "进一步缓解过江交通压力，带动沿江地区的发展。"
)
# Republished by another paper: its own headline and byline, a word changed.
COPY_TITLE = "跨江大桥正式通车：新区到市中心只需十五分钟"
COPY = "（本报记者 王明）" + BRIDGE.replace("交警部门在桥两端", "交警部门在大桥两端")


def weather(day: str, sky: str, low: int, high: int, wind: str, outlook: str) -> tuple[str, str]:
    """A daily forecast: the same template every day, another story every day."""
    return (
        f"{day}本市天气预报",
        f"市气象台今天下午发布天气预报：明天（{day}）本市{sky}，最低气温{low}摄氏度，"
        f"最高气温{high}摄氏度，{wind}。未来三天本市{outlook}。\n"
        "气象专家提醒，市民可以通过气象台官方网站和手机应用查询逐小时天气预报，也可以拨打气象服务"
        "热线咨询。如遇雷电、大风等天气，请尽量减少户外活动，远离广告牌和临时搭建物，注意出行安全。"
        "户外工作者要合理安排作息时间，做好防暑降温和防雨准备；老人和儿童要注意增减衣物，预防感冒。\n"
        "气象台还提醒，近期本市江河水位持续偏高，沿江低洼地区的居民要关注水位变化，"
        "及时收听收看气象预警信息；农业部门要抓住有利天气，做好田间排水和病虫害防治工作。"
        "本市天气预报每天下午五点更新，遇到突发天气将随时发布临时预报。",
    )


SUNNY = ("晴转多云", 26, 35, "偏南风三到四级", "以晴热天气为主，午后局部有雷阵雨")
WEATHER_29 = weather("7月29日", *SUNNY)
WEATHER_30 = weather("7月30日", "多云转中雨", 24, 31, "东北风四到五级，阵风六级", "降雨明显增多")
WEATHER_AUG_6 = weather("8月6日", *SUNNY)  # the same sky a week later: nearly the same words


def caption(who: str, what: str) -> tuple[str, str]:
    return (
        f"{what}하는 {who}",
        f"[서울=한빛뉴스] 김하늘 기자 = 30일 오전 서울 종로구 정부서울청사에서 열린 국무회의에서"
        f" {who}이 {what}하고 있다. 2025.12.30. photo@hanbit.example",
    )


MINISTER = caption("행정안전부 장관", "자료를 살펴보며 발언")
PREMIER = caption("국무총리", "회의 시작에 앞서 인사")
DAY = datetime(2024, 7, 28, 9, 0, tzinfo=UTC)


# Signatures


def test_a_republished_copy_is_a_near_duplicate():
    original = signature(BRIDGE_TITLE, BRIDGE, DAY)
    copy = signature(COPY_TITLE, COPY, DAY + timedelta(hours=5))
    assert original.length >= duplicates.SHORT_CHARS
    assert similarity(original, copy) >= duplicates.SIMILARITY
    assert near_duplicates(original, copy)


def test_another_day_in_the_same_template_is_not():
    monday = signature(*WEATHER_29, DAY)
    assert monday.length >= duplicates.SHORT_CHARS
    # The next day: other weather, most of the words the same.
    tuesday = signature(*WEATHER_30, DAY + timedelta(days=1))
    assert 0.5 < similarity(monday, tuesday) < duplicates.SIMILARITY
    assert not near_duplicates(monday, tuesday)
    # A week later the same weather reads almost the same: another day is another story.
    later = signature(*WEATHER_AUG_6, DAY + timedelta(days=8))
    assert duplicates.SIMILARITY <= similarity(monday, later) < duplicates.SAME_TEXT
    assert not near_duplicates(monday, later)
    # The same forecast crawled again the next day is the same story.
    assert near_duplicates(monday, signature(*WEATHER_29, DAY + timedelta(days=1)))


def test_far_apart_only_the_same_text_under_the_same_title_is_one_story():
    # A repost on another site weeks later: the same text, the title with the site's name.
    repost = signature(BRIDGE_TITLE + " - 转载网", BRIDGE, DAY + timedelta(days=30))
    assert near_duplicates(signature(BRIDGE_TITLE, BRIDGE, DAY), repost)
    # A weekly announcement: the same body every week, the story is in the title.
    notice = (
        "欢迎读者朋友把新生宝宝的喜讯告诉我们。登录本报网站，在首页点击“宝宝来了”栏目，"
        "上传宝宝的照片和父母的名字、宝宝的名字以及出生日期，编辑部审核后将在每周四的版面刊登。"
        "来稿请注明联系方式，照片请使用清晰的原图，每张不超过五兆字节。刊登的照片和文字"
        "也将同时在本报网站和手机应用上发布。本栏目长期有效，欢迎各位家长踊跃投稿，"
        "与更多读者分享新生命降临的喜悦。如需修改或撤回已刊登的内容，请在刊登后一个月内"
        "与编辑部联系，我们将在下一期版面予以更正。感谢各位读者长期以来对本栏目的支持和厚爱，"
        "祝每一个宝宝健康快乐地成长，也祝各位家长身体健康、工作顺利、家庭幸福美满。"
        "投稿时请一并提供宝宝的身高和体重，以及父母想对宝宝说的一句话，字数请控制在五十字以内。\n"
        "本栏目创办于十年前，至今已经刊登了两万多名宝宝的照片。许多读者告诉我们，报纸上的这一方"
        "小小版面，成了全家人珍藏的纪念。有的家庭把刊登宝宝照片的那一期报纸装进相框，挂在客厅里；"
        "有的家长把它夹进成长相册，等孩子长大后一起翻看。我们也收到过不少当年登报的宝宝如今已经"
        "上小学、给编辑部写来的信。为了让这份纪念更加完整，从今年起，每位登报宝宝的家庭还可以"
        "免费领取一份印有宝宝照片的纪念版面，领取方式请关注本报网站的通知。"
    )
    first = signature("宝宝来了：小雨", notice, DAY)
    assert first.length >= duplicates.SHORT_CHARS
    next_week = signature("宝宝来了：小宇", notice, DAY + timedelta(days=7))
    assert similarity(first, next_week) >= duplicates.SAME_TEXT
    assert not near_duplicates(first, next_week)


def test_one_agency_s_photos_of_one_event_are_not_copies():
    def photo(who: str, does: str) -> str:
        return (
            "Harbour festival opens with lantern parade. "
            f"{who} {does} during the opening night of the annual harbour lantern festival in"
            " the old port district, 28 July 2024. The festival, which runs for ten days,"
            " draws hundreds of thousands of visitors every summer with lantern boats,"
            " street food stalls and fireworks over the water every evening at nine o'clock."
            " Organisers expect record attendance this year after two seasons cut short by"
            " storms. PHOTO AGENCY/EXAMPLE PHOTOGRAPHER"
        )

    headline = "HARBOUR FESTIVAL"
    drummer = photo("A drummer", "performs on a lantern boat")
    dancers = photo("Dancers in paper costumes", "parade along the quay")
    first = signature(headline, drummer, DAY, "Photo Agency")
    assert first.length >= duplicates.SHORT_CHARS
    other = signature(headline, dancers, DAY, "Photo Agency")
    assert duplicates.SIMILARITY <= similarity(first, other) < duplicates.SAME_SOURCE_TEXT
    assert not near_duplicates(first, other)
    # The same caption crawled again, or run by a paper under its own headline: a copy.
    assert near_duplicates(first, signature(headline, drummer, DAY, "Photo Agency"))
    assert near_duplicates(other, signature("Lantern festival", dancers, DAY, "Daily Paper"))
    # A longer article edited under the same headline by its publisher is one story.
    article = BRIDGE + (
        "\n老桥建成于上世纪八十年代，是当时全省最长的公路桥。随着城市向江南扩展，老桥的车流量"
        "早已超过设计能力的三倍，每逢节假日，桥上常常排起几公里的长队。市人大代表曾连续多年"
        "提出议案，建议尽快修建第二座过江通道。新桥建成后，老桥将进行为期一年的加固维修，"
        "维修期间只允许公交车和非机动车通行。交通部门表示，届时将增开多条跨江公交线路，"
        "并在早晚高峰加密班次，方便沿线居民出行。专家认为，两座大桥形成的环线，将有效分流"
        "过境车辆，减少市中心的拥堵，也为沿江地区的旧城改造创造了条件。"
        "\n通车仪式上，建设者代表讲述了三年来的施工故事：为了不影响航运，主桥钢梁全部在夜间"
        "吊装；为了保护江中的鱼类，施工单位调整了打桩的季节和时间。"
    )
    bridge = signature(BRIDGE_TITLE, article, DAY, "晨报")
    edited = article.replace("交警部门在桥两端", "交警部门在大桥两端").replace("，合理安排时间", "")
    assert bridge.length >= duplicates.CAPTION_CHARS
    assert near_duplicates(bridge, signature(BRIDGE_TITLE, edited, DAY, "晨报"))


def test_photo_captions_in_one_template_never_fold():
    minister = signature(*MINISTER, DAY)
    premier = signature(*PREMIER, DAY)
    assert minister.length < duplicates.SHORT_CHARS
    assert not near_duplicates(minister, premier)
    # Too short to judge: no signature at all, so never folded.
    assert signature("장관 인사", "국무회의에서 인사하는 장관. 2025.12.30.") is None


def test_text_is_normalised_before_it_is_compared():
    wide = "ＡＢＣ Ｎｅｗｓ： " + BRIDGE  # full-width letters, other spaces and punctuation
    assert signature_text("", wide) == signature_text("", "abc news" + BRIDGE)
    assert " " not in signature_text("", BRIDGE) and "，" not in signature_text("", BRIDGE)


def test_a_5mb_article_is_read_up_to_text_chars():
    head = "甲乙丙丁" * (duplicates.TEXT_CHARS // 4)
    huge = head + "戊" * 5_000_000
    text = signature_text("", huge)
    assert len(text) == duplicates.TEXT_CHARS and "戊" not in text
    assert signature("标题", huge) == signature("标题", head)


def test_a_signature_is_stored_and_read_back():
    sig = signature(BRIDGE_TITLE, BRIDGE, DAY)
    assert Signature.from_bytes(sig.to_bytes()) == sig
    assert sig.title == "跨江大桥今日通车新区到市中心车程缩短至十五分钟"
    sourced = signature(BRIDGE_TITLE, BRIDGE, DAY, "晨报")
    assert Signature.from_bytes(sourced.to_bytes()) == sourced and sourced.source == "晨报"
    undated = signature(BRIDGE_TITLE, BRIDGE)
    assert undated.day is None and Signature.from_bytes(undated.to_bytes()) == undated
    assert Signature.from_bytes(b"") is None


# Clusters


def _sig(values, length=1000, day=700_000) -> Signature:
    return Signature(np.asarray(values, dtype="<u2").tobytes(), length, day)


def _variant(values, positions, offset=1):
    changed = np.array(values, dtype=np.uint16)
    changed[list(positions)] += offset
    return changed


def test_an_article_joins_the_cluster_whose_first_article_it_is_near():
    base = np.arange(duplicates.HASHES, dtype=np.uint16) * 97
    near_base = _variant(base, range(10))  # 118 of 128 values the same
    drifted = _variant(near_base, range(10, 30), 2)  # near near_base (108), not base (98)
    clusterer = Clusterer()
    first = clusterer.assign(_sig(base))
    assert clusterer.assign(_sig(near_base)) == first
    # A chain of small edits does not carry another story into the cluster.
    assert clusterer.assign(_sig(drifted)) not in (first, None)
    assert clusterer.assign(None) is None


def test_the_window_and_short_texts_need_more():
    base = np.arange(duplicates.HASHES, dtype=np.uint16) * 31
    clusterer = Clusterer()
    first = clusterer.assign(_sig(base, day=700_000))
    alike = _variant(base, range(10))  # 0.92
    assert clusterer.assign(_sig(alike, day=700_010)) != first  # ten days later
    assert clusterer.assign(_sig(base, day=700_010)) == first  # the same text, any day
    assert clusterer.assign(_sig(alike, day=None)) == first  # undated
    short = Clusterer()
    leader = short.assign(_sig(base, length=200))
    assert short.assign(_sig(_variant(base, range(16)), length=200)) != leader  # 0.875
    assert short.assign(_sig(_variant(base, range(8)), length=200)) == leader  # 0.94


def test_seeded_clusters_are_joined_and_their_names_never_reused():
    base = np.arange(duplicates.HASHES, dtype=np.uint16) * 7
    other = np.arange(duplicates.HASHES, dtype=np.uint16) * 13 + 5
    clusterer = Clusterer()
    clusterer.seed(_sig(base), "kept")
    assert clusterer.assign(_sig(_variant(base, range(5)))) == "kept"
    # A cluster named as a new one would be (its articles since changed) keeps its name.
    fresh = Clusterer()
    name = fresh.assign(_sig(other))
    seeded = Clusterer()
    seeded.seed(_sig(base), name)
    assert seeded.assign(_sig(other)) not in (name, None)


def test_crowded_band_values_keep_clustering_linear():
    clusterer = Clusterer(bucket_limit=5)
    rng = np.random.default_rng(1)
    shared = rng.integers(0, 2**16, duplicates.HASHES, dtype=np.uint16)
    names = set()
    for _ in range(50):  # share their first band, differ elsewhere: 50 clusters
        values = rng.integers(0, 2**16, duplicates.HASHES, dtype=np.uint16)
        values[: duplicates.LSH_ROWS] = shared[: duplicates.LSH_ROWS]
        names.add(clusterer.assign(_sig(values)))
    assert len(names) == 50
    crowded = [e for e in clusterer._table.values() if isinstance(e, list)]
    assert [len(e) for e in crowded] == [5]


# Folding


def test_fold_keeps_the_first_of_each_cluster():
    ranked = [(5, 3.0), (7, 2.5), (2, 2.0), (9, 1.0), (4, 0.5)]
    clusters = [0] * 10
    clusters[5] = clusters[2] = clusters[4] = 1
    clusters[9] = 2
    assert fold(ranked, clusters) == [(5, 3.0, [2, 4]), (7, 2.5, []), (9, 1.0, [])]
    assert fold(ranked, None) == [(d, s, []) for d, s in ranked]  # an index without clusters


def test_similar_articles_are_listed_among_the_matches():
    clusters = [0] * 12
    clusters[5] = clusters[2] = clusters[11] = clusters[3] = 1
    matches = {2, 5, 7, 11}  # 3 is in the cluster but does not match
    assert similar_among(clusters, matches, [5, 7]) == {5: [2, 11], 7: []}
    assert similar_among(None, matches, [5]) == {5: []}  # an index without clusters


# A real rebuild and update


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def _record(doc_id: str, title_body: tuple[str, str], published: str, source: str) -> dict:
    title, body = title_body
    return {
        "id": doc_id,
        "title": title,
        "body": body,
        "published": published,
        "publisher": source,
    }


def _corpus(folder: Path, with_copy: bool) -> Path:
    """One JSON Lines file per work unit, so the two workers write them in any order."""
    folder.mkdir(exist_ok=True)
    _write(folder / "1-bridge.jsonl", [_record("bridge", (BRIDGE_TITLE, BRIDGE), _at(0), "晨报")])
    _write(
        folder / "2-weather.jsonl",
        [
            _record("weather-29", WEATHER_29, _at(0), "晨报"),
            _record("weather-30", WEATHER_30, _at(24), "晨报"),
            _record("weather-aug-6", WEATHER_AUG_6, _at(24 * 8), "晨报"),
        ],
    )
    _write(
        folder / "3-captions.jsonl",
        [
            _record("caption-1", MINISTER, _at(0), "한빛"),
            _record("caption-2", PREMIER, _at(0), "한빛"),
            _record("short-1", ("장관 인사", "국무회의에서 인사하는 장관."), _at(0), "한빛"),
            _record("short-2", ("장관 인사", "국무회의에서 인사하는 장관."), _at(1), "한빛"),
        ],
    )
    if with_copy:
        _write(folder / "4-copy.jsonl", [_record("copy", (COPY_TITLE, COPY), _at(5), "晚报")])
    return folder


def _at(hours: int) -> str:
    return (DAY + timedelta(hours=hours)).isoformat()


def _settings(tmp_path: Path, corpus: Path):
    config = write_config(tmp_path / "config.toml", corpus, tmp_path / "index")
    return load_settings(config, environ={"HANSEARCH_INDEX_WORKERS": "2"})


def _clusters(settings) -> tuple[dict[str, int], dict[str, str]]:
    """Each document's cluster column value and stored cluster, by id."""
    ix = IndexStore(settings.index.path).open_current()
    with ix.searcher() as searcher:
        columns = Columns(searcher.reader())
        codes, stored = {}, {}
        for docnum, fields in searcher.iter_docs():
            codes[fields["id"]] = columns.clusters[docnum]
            stored[fields["id"]] = fields.get("cluster")
    return codes, stored


def test_rebuild_puts_a_copy_in_its_original_s_cluster_and_no_other_story(tmp_path):
    settings = _settings(tmp_path, _corpus(tmp_path / "news", with_copy=True))
    assert rebuild(settings).indexed == 9
    codes, stored = _clusters(settings)
    assert codes["bridge"] == codes["copy"] != 0
    assert stored["bridge"] == stored["copy"]
    # Different stories fold with nothing: a template's other days, photo captions; and
    # bodies too short to judge have no cluster at all.
    for doc_id in ("weather-29", "weather-30", "weather-aug-6", "caption-1", "caption-2"):
        assert codes[doc_id] == 0 and stored[doc_id] not in (None, stored["bridge"])
    assert codes["short-1"] == codes["short-2"] == 0
    assert stored["short-1"] is None and stored["short-2"] is None


def test_update_adds_a_copy_to_the_existing_cluster(tmp_path):
    corpus = _corpus(tmp_path / "news", with_copy=False)
    settings = _settings(tmp_path, corpus)
    rebuild(settings)
    codes, stored = _clusters(settings)
    assert codes["bridge"] == 0  # alone so far
    _corpus(corpus, with_copy=True)
    report = update(settings)
    assert report.added == 1
    codes, stored = _clusters(settings)
    assert stored["copy"] == stored["bridge"] is not None
    assert codes["copy"] == codes["bridge"] != 0


def test_an_index_built_before_clusters_folds_nothing(tmp_path):
    """An index whose schema has no signature or cluster: no clusters, nothing folded, and
    an update adds articles without them."""
    schema = build_schema()
    schema.remove("signature")
    schema.remove("cluster")
    ix = whoosh_index.create_in(str(tmp_path), schema)
    writer = ix.writer()
    for doc_id in ("bridge", "copy"):
        doc = Document(id=doc_id, title=BRIDGE_TITLE, body=BRIDGE, lang="zh-Hans")
        writer.add_document(**document_fields(doc))
    writer.commit()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert Columns(reader).clusters is None
        assert list(duplicate_signatures(reader)) == []
    assert kept_clusters(tmp_path, set()) is None
    assert fold([(0, 1.0), (1, 0.5)], None) == [(0, 1.0, []), (1, 0.5, [])]


# Rendering


def test_a_hit_shows_its_missing_words_and_similar_articles(tmp_path):
    from web.app import create_app
    from web.pages import State

    app = create_app(Settings(index=IndexSettings(path=tmp_path / "index")))
    published = Published(datetime(2024, 7, 28, 17, 0, tzinfo=UTC), "zoned")
    hit = Hit(
        id="bridge",
        url="https://example.com/bridge",
        title=BRIDGE_TITLE,
        title_html=BRIDGE_TITLE,
        snippet_html="本市跨江大桥今天上午正式<mark>通车</mark>。",
        lang="zh-Hans",
        source="晨报",
        author="",
        published=published,
        score=1.0,
        missing=["地铁", "<b>"],
        similar=[
            Similar("copy", "https://example.com/copy", "<script>x</script>", "晚报", published),
            Similar("copy-2", "", "", "", None),
        ],
    )
    with app.test_request_context("/search?q=x"):
        macro = app.jinja_env.get_template("_hit.html").module.hit_item
        html = str(macro(hit, State(q="大桥 地铁")))
        plain = str(macro(Hit(**{**vars(hit), "missing": [], "similar": []}), State(q="x")))
        one = str(macro(Hit(**{**vars(hit), "similar": hit.similar[:1]}), State(q="x")))
    missing = '<p class="missing"><span lang="en">Missing:</span> <s>地铁</s> <s>&lt;b&gt;</s></p>'
    assert missing in html
    assert '<details class="similar">' in html
    assert '<span lang="en">2 similar articles</span>' in html
    assert "/doc?id=copy&amp;q=" in html and "&lt;script&gt;x&lt;/script&gt;</a>" in html
    assert '<span class="source">晚报</span>' in html
    assert '<time datetime="2024-07-28T17:00:00+00:00">2024-07-28 17:00 UTC</time>' in html
    assert ">copy-2</a>" in html  # no title: its id
    assert "<script>" not in html
    assert "missing" not in plain and "similar" not in plain
    assert "1 similar article<" in one
