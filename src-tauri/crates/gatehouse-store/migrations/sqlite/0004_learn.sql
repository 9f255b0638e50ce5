-- Learn mode progress: which tour steps (and, later, drills) each user finished, and when. `item`
-- is a kind-prefixed key such as `step:data-quality`; a second completion keeps the first time.

CREATE TABLE learn_progress (
    user TEXT NOT NULL,
    item TEXT NOT NULL,
    completed_at INTEGER NOT NULL,
    PRIMARY KEY (user, item)
);

CREATE TRIGGER learn_progress_ins AFTER INSERT ON learn_progress BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER learn_progress_upd AFTER UPDATE ON learn_progress BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER learn_progress_del AFTER DELETE ON learn_progress BEGIN UPDATE meta SET revision = revision + 1; END;
