"""Check-box forms: unticked options are blanked without moving any offset."""
from jinnang.nlp.checkboxes import mask_unticked


def test_unticked_options_are_blanked_and_offsets_kept():
    text = "试用阶段：□中期 ■结束\n单机通量 □满意 ■一般 □不满意：速度偏慢"
    masked = mask_unticked(text)
    assert len(masked) == len(text)
    assert "中期" not in masked and "不满意" not in masked
    assert "■结束" in masked and "■一般" in masked and "速度偏慢" in masked


def test_text_without_boxes_is_unchanged():
    assert mask_unticked("主任说价格偏高。") == "主任说价格偏高。"
