-- Learn drills. `drill_run` is the mark of a drill copy: Gatehouse writes its one row when it
-- creates the copy, so a workspace is a drill copy by its database, never by what its policy
-- says. `drill_results` keeps, in the workspace a drill was started from, each finished drill.

CREATE TABLE drill_run (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    drill TEXT NOT NULL,
    trainee TEXT NOT NULL,
    origin TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    -- The drills file as it was when the drill started: the copy is judged by the runbook the
    -- trainee was given.
    definition TEXT NOT NULL,
    applied INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE drill_results (
    user TEXT NOT NULL,
    drill TEXT NOT NULL,
    finished_at INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    score INTEGER NOT NULL,
    hints INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    copy_dir TEXT NOT NULL,
    PRIMARY KEY (user, drill, finished_at)
);

CREATE TRIGGER drill_run_ins AFTER INSERT ON drill_run BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER drill_run_upd AFTER UPDATE ON drill_run BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER drill_results_ins AFTER INSERT ON drill_results BEGIN UPDATE meta SET revision = revision + 1; END;
