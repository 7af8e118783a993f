-- Click counts kept on the link row. Counting a link's clicks on every read
-- (every redirect reads its link) cost time in proportion to its clicks: a
-- popular link slowed its own redirect. A trigger keeps the counts in the same
-- transaction as the click, so they can never disagree with the clicks table.
ALTER TABLE links ADD COLUMN click_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN bot_click_count INTEGER NOT NULL DEFAULT 0;

UPDATE links SET
    click_count = (SELECT count(*) FROM clicks c WHERE c.link_id = links.id AND c.is_bot = 0),
    bot_click_count = (SELECT count(*) FROM clicks c WHERE c.link_id = links.id AND c.is_bot = 1);

CREATE TRIGGER clicks_count_link AFTER INSERT ON clicks
BEGIN
    UPDATE links SET
        click_count = click_count + (NEW.is_bot = 0),
        bot_click_count = bot_click_count + (NEW.is_bot = 1)
    WHERE id = NEW.link_id;
END;
