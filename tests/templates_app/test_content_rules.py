"""The template content check: every rule at its boundary, word lists, and no false positives."""

import dataclasses
import re

import pytest

from templates_app.content import (
    BLOCK,
    MINIMUM_WORDS,
    WARN,
    Finding,
    blocking,
    check_content,
    is_redirect,
)
from templates_app.reading import CJK, count_words, read_html, wordlist

SEED_CATEGORIES = [
    "Phishing",
    "Lucky draw for top-up",
    "Pornography",
    "Drugs",
    "Violence",
    "Intimidation",
    "Gambling",
    "Lottery",
    "Cashback and rebate",
    "Flash sales",
    "Loans",
    "Debt collection",
    "Click farming",
    "Religion",
    "Superstition",
    "Friend adding on QQ or WeChat",
    "Group joining",
    "Invoices",
]

# One English and one Chinese example per seed category, written as authors would.
EXAMPLES = [
    ("Phishing", "Please confirm your password here", "您的账户将被冻结"),
    ("Lucky draw for top-up", "Join the Lucky Draw this week", "充值抽奖活动开始了"),
    ("Pornography", "New porn every day", "色情内容"),
    ("Drugs", "Cheap cocaine delivered", "出售毒品"),
    ("Violence", "Scenes of violence", "暴力视频"),
    ("Intimidation", "We will blackmail you", "否则后果自负"),
    ("Gambling", "Visit our CASINO tonight", "线上赌博平台"),
    ("Lottery", "Buy lottery tickets", "购买彩票"),
    ("Cashback and rebate", "Get cashback on every order", "下单即可返利"),
    ("Flash sales", "Our flash sale starts", "整点秒杀"),
    ("Loans", "Fast loans approved", "低息贷款"),
    ("Debt collection", "A debt collector will call", "逾期将被催收"),
    ("Click farming", "Earn with order brushing", "兼职刷单"),
    ("Religion", "Come to our bible study", "宗教活动"),
    ("Superstition", "Your weekly horoscope", "免费算命"),
    ("Friend adding on QQ or WeChat", "Add me on WeChat", "请加微信咨询"),
    ("Group joining", "Join our group for tips", "欢迎加群"),
    ("Invoices", "We sell fake invoice copies", "代开发票"),
]

VERIFICATION = (
    "Your verification code is {{code}}. Enter this code on the sign-in page to finish signing"
    " in to your {{product}} account. The code expires in ten minutes and can be used only once."
    " If you did not try to sign in, you can ignore this message and your account will stay as"
    " it is. For security reasons, never share this code with anyone, including our support staff."
)


def words(count, word="update"):
    return " ".join([word] * count)


def rules(findings):
    return [finding.rule for finding in findings]


def only(findings, rule):
    found = [finding for finding in findings if finding.rule == rule]
    assert len(found) == 1, findings
    return found[0]


# Word minimums


def test_marketing_needs_150_words():
    finding = only(check_content("marketing", "", words(149)), "words.minimum")
    assert finding.severity == BLOCK
    assert finding.message == "The text has 149 words; marketing templates need at least 150."
    assert "150 words for marketing" in finding.source
    assert check_content("marketing", "", words(150)) == []


@pytest.mark.parametrize("category", ["notification", "transactional", "test"])
def test_other_categories_need_50_words(category):
    finding = only(check_content(category, "", words(49)), "words.minimum")
    assert finding.severity == BLOCK
    assert "49 words" in finding.message and "at least 50" in finding.message
    assert check_content(category, "", words(50)) == []


def test_trigger_has_no_minimum():
    assert MINIMUM_WORDS["trigger"] == 0
    assert check_content("trigger", "", "Hello") == []


def test_the_richer_part_counts():
    assert check_content("notification", f"<p>{words(10)}</p>", words(50)) == []
    assert check_content("notification", f"<p>{words(50)}</p>", words(10)) == []
    assert "words.minimum" in rules(check_content("notification", words(49), words(10)))


def test_hidden_html_is_not_counted():
    page = (
        "<html><head><title>one two three</title><style>p { color: red }</style></head>"
        f"<body><p>{words(49)}</p><script>var hidden = 'many words here';</script>"
        "<!-- a comment with words --></body></html>"
    )
    assert read_html(page).text == words(49)
    assert "The text has 49 words" in only(check_content("test", page, ""), "words.minimum").message
    assert check_content("test", page.replace(words(49), words(50)), "") == []


def test_head_without_closing_tag_ends_at_body_content():
    assert read_html("<head><meta charset=utf-8><p>Visible words</p>").text == "Visible words"


def test_tags_separate_words_but_inline_tags_do_not():
    assert read_html("<p>one</p><p>two</p><br>three").text == "one two three"
    assert count_words(read_html("<b>bo</b>ld <span>text</span>").text) == 2


def test_cjk_characters_count_one_word_each():
    assert count_words("您的验证码已发送") == 8
    assert count_words("Hello 世界, don't wait: 2024 {{name}}") == 6
    assert count_words("ご注文ありがとう") == 8
    assert check_content("notification", "", "通" * 50) == []
    assert "words.minimum" in rules(check_content("notification", "", "通" * 49))


def test_unknown_category_is_refused():
    with pytest.raises(ValueError, match="newsletter"):
        check_content("newsletter", "", words(200))


# Variables


def test_one_variable_per_five_words_is_the_limit():
    ten = words(50) + " {{a}}" * 10
    assert check_content("notification", "", ten) == []
    finding = only(check_content("notification", "", ten + " {{b}}"), "variables.ratio")
    assert finding.severity == BLOCK
    assert finding.message == (
        "The text part has 11 variables and 50 words; keep at most 1 variable per 5 words"
        " (10 here)."
    )


def test_ratio_holds_for_each_part():
    html = f"<p>{words(60)}</p>"
    findings = check_content("notification", html, "Hi {{a}} {{b}}")
    assert "text part has 2 variables and 1 word;" in only(findings, "variables.ratio").message


def test_variable_only_template_is_refused():
    findings = check_content("trigger", "<p>{{a}} {{ b }}</p>", "{{a}}")
    assert rules(findings) == ["variables.only"]
    assert findings[0].severity == BLOCK
    assert "3 variables" in findings[0].message


def test_empty_template_is_refused():
    assert rules(check_content("trigger", "<html><body> </body></html>", "  ")) == ["content.empty"]


# Images


def test_fifty_images_allowed_fifty_one_refused():
    text = words(2100)
    fifty = check_content("marketing", "<img src=a.png>" * 50 + f"<p>{text}</p>", "")
    assert "images.maximum" not in rules(fifty)
    findings = check_content("marketing", "<img src=a.png>" * 51 + f"<p>{text}</p>", "")
    finding = only(findings, "images.maximum")
    assert finding.severity == BLOCK
    assert finding.message == "The HTML part has 51 images; the limit is 50."


def test_background_images_count():
    page = (
        "<style>.hero { background-image: url(hero.png) }</style>"
        "<table background='bg.jpg'><tr><td style='background: #fff url(x.png)'>"
        "<img src='a.png'>hello</td></tr></table>"
    )
    assert read_html(page).images == 4


def test_image_only_template_is_refused():
    findings = check_content("trigger", "<img src='a.png' alt='Our big summer news'>", words(80))
    finding = only(findings, "images.only")
    assert finding.severity == BLOCK
    assert finding.message == "The HTML part has 1 image and no text."


def test_more_than_three_images_warns():
    assert "images.many" not in rules(check_content("marketing", "<img>" * 3 + words(200), ""))
    finding = only(check_content("marketing", "<img>" * 4 + words(200), ""), "images.many")
    assert finding.severity == WARN


def test_images_need_forty_words_each():
    assert check_content("trigger", "<img src=a.png>" + words(40), "") == []
    finding = only(check_content("trigger", "<img src=a.png>" + words(39), ""), "images.ratio")
    assert finding.severity == WARN
    assert "1 image and 39 words" in finding.message
    assert "images.ratio" in rules(check_content("trigger", "<img><img>" + words(79), ""))


# Links


def test_urls_are_flagged_for_the_reviewer():
    text = words(50) + " See https://example.com/help, or www.example.org."
    finding = only(check_content("transactional", "", text), "links.url")
    assert finding.severity == WARN
    assert "'https://example.com/help', 'www.example.org'" in finding.message
    assert blocking(check_content("transactional", "", text)) == []


def test_hrefs_are_links_even_when_variables():
    page = f"<p>{words(50)} <a href='{{{{link}}}}'>open</a> <a href='mailto:a@example.com'>mail</a>"
    page += " <a href='#top'>top</a></p>"
    finding = only(check_content("transactional", page, ""), "links.url")
    assert "'{{link}}'" in finding.message
    assert "mailto" not in finding.message and "#top" not in finding.message


@pytest.mark.parametrize(
    "url",
    [
        "https://bit.ly/3abc",
        "bit.ly/3abc",
        "http://t.cn/A6abc",
        "https://example.com/r.php?id=7",
        "https://example.com/out?url=shop",
        "https://example.com/click?next=https%3A%2F%2Fother.example",
        "https://example.com/redirect",
    ],
)
def test_redirects_and_shorteners_are_refused(url):
    assert is_redirect(url)
    finding = only(
        check_content("transactional", "", f"{words(50)} Go to {url} now"), "links.redirect"
    )
    assert finding.severity == BLOCK
    assert url in finding.message


@pytest.mark.parametrize(
    "url", ["https://example.com/orders/42?tab=items", "www.example.com", "{{link}}", "/help"]
)
def test_ordinary_links_are_not_redirects(url):
    assert not is_redirect(url)


# Prohibited subject matter


def test_every_seed_category_has_english_and_chinese_terms():
    terms = wordlist("prohibited")
    assert list(dict.fromkeys(term.category for term in terms)) == SEED_CATEGORIES
    for category in SEED_CATEGORIES:
        mine = [term.term for term in terms if term.category == category]
        assert any(not any("\u4e00" <= c <= "\u9fff" for c in t) for t in mine), category
        assert any(any("\u4e00" <= c <= "\u9fff" for c in t) for t in mine), category


def prohibited(findings):
    return {f.message.split(":")[0] for f in findings if f.rule == "subjects.prohibited"}


@pytest.mark.parametrize(("category", "english", "chinese"), EXAMPLES)
def test_each_category_is_matched(category, english, chinese):
    for phrase in (english, chinese):
        findings = check_content("trigger", "", phrase)
        assert category in prohibited(findings), phrase
        finding = next(f for f in findings if f.message.startswith(category + ":"))
        assert finding.severity == BLOCK


@pytest.mark.parametrize("term", wordlist("prohibited"), ids=lambda term: term.term)
def test_every_listed_term_matches_in_a_sentence(term):
    cjk = re.search(f"[{CJK}]", term.term)
    sentence = f"请注意{term.term}的内容" if cjk else f"Please read about {term.term} today."
    assert term.category in prohibited(check_content("trigger", "", sentence))


def test_prohibited_message_names_category_and_term():
    finding = only(check_content("trigger", "", "Visit the casino"), "subjects.prohibited")
    assert finding.message == "Gambling: 'casino'"


def test_latin_terms_match_whole_words_only():
    assert prohibited(check_content("trigger", "", "Sloane Square office")) == set()
    assert prohibited(check_content("trigger", "", "Heroines of the month, pokerface")) == set()
    assert prohibited(check_content("trigger", "", "Compare our loans")) == {"Loans"}
    assert prohibited(check_content("trigger", "", "A flash-sale ends")) == {"Flash sales"}


def test_subject_and_alt_text_are_scanned():
    assert prohibited(check_content("trigger", "", "Hello there", "Casino night")) == {"Gambling"}
    page = "<p>Hello there</p><img src=a.png alt='彩票'>"
    assert prohibited(check_content("trigger", page + words(40), "")) == {"Lottery"}


def test_variable_names_are_not_scanned():
    assert prohibited(check_content("trigger", "", "Hello {{casino_name}} {{loan}}")) == set()


# Spam advice


def test_spammy_words_warn():
    finding = only(check_content("trigger", "", "Act now: free shipping, 限时优惠"), "words.spammy")
    assert finding.severity == WARN
    assert "'act now'" in finding.message and "'free'" in finding.message
    assert "'限时'" in finding.message


def test_shouting_capitals_warn_above_half():
    assert check_content("trigger", "", "ABCDEFghijkl") == []  # 6 of 12: half is fine
    finding = only(check_content("trigger", "", "ABCDEFGhijkl"), "words.shouty")
    assert finding.severity == WARN
    assert finding.message == "The text part is mostly capitals (7 of 12 letters)."
    assert check_content("trigger", "", "ABCDEFGHIJK") == []  # too short to judge
    assert rules(check_content("trigger", "", "hello", "BIG NEWS TODAY")) == ["words.shouty"]


def test_exclamation_runs_warn():
    assert check_content("trigger", "", "Thanks!! See you") == []
    finding = only(check_content("trigger", "", "Thanks!!! See you"), "words.shouty")
    assert "'!!!'" in finding.message
    assert rules(check_content("trigger", "", "谢谢\uff01\uff01\uff01")) == ["words.shouty"]


# No false positives, helpers


def test_normal_transactional_template_passes():
    html = f"<html><head><title>Code</title></head><body><p>{VERIFICATION}</p></body></html>"
    assert check_content("transactional", html, VERIFICATION, "Your verification code") == []
    chinese = (
        "您的验证码是{{code}}，请在十分钟内完成验证。如非本人操作，请忽略本邮件，"  # noqa: RUF001
        "您的账户不会发生任何变化。为了您的账户安全，请勿将验证码告诉任何人，包括我们的客服人员。"  # noqa: RUF001
    )
    assert check_content("transactional", f"<p>{chinese}</p>", chinese, "您的验证码") == []


def test_blocking_keeps_block_findings_only():
    findings = check_content("marketing", "<img>" * 4 + words(100), "")
    assert sorted(rules(findings)) == ["images.many", "images.ratio", "words.minimum"]
    assert rules(blocking(findings)) == ["words.minimum"]


def test_findings_are_frozen_and_cite_the_seed():
    finding = check_content("trigger", "", "")[0]
    assert isinstance(finding, Finding) and finding.source
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.rule = "other"
    assert dataclasses.asdict(finding)["severity"] == BLOCK


def test_a_shops_own_invoice_is_not_invoice_spam():
    text = "Your invoice for order 1234 is attached. 您的电子发票已开具。 " + words(60)
    assert [
        f for f in check_content("transactional", "", text) if f.rule == "subjects.prohibited"
    ] == []
