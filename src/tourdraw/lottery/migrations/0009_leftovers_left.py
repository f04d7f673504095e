from django.db import migrations, models

# A drawn round's free places, once its waitlist can serve no one, are claimed
# first come, first served (visits/leftovers.py). The claiming party is stored
# as an entry of the round, marked ``leftover``, so that the gate, its ticket
# and the one-appearance-per-round constraint treat it as any other party. The
# seals of 0008 refuse every new entry of a closed round; these let exactly one
# thing more through: inserting a leftover entry into a drawn round, and its
# members up to its (sealed) party size and its one choice (the slot it claimed in). ``leftover`` itself is sealed with the
# rest: an entry of the draw never becomes a leftover one, nor the reverse.
SEALS = """
CREATE OR REPLACE FUNCTION lottery_entry_seal() RETURNS trigger AS $$
DECLARE
    round_state text;
BEGIN
    SELECT state INTO round_state FROM lottery_round
        WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.round_id ELSE OLD.round_id END;
    IF COALESCE(round_state NOT IN ('closed', 'drawn'), true) THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'INSERT' AND round_state = 'drawn' AND NEW.leftover
            AND NEW.state = 'active' THEN
        RETURN NEW;
    END IF;
    IF TG_OP <> 'UPDATE' OR (
        NEW.round_id, NEW.code, NEW.party_size, NEW.tier, NEW.weight, NEW.leftover
    ) IS DISTINCT FROM (
        OLD.round_id, OLD.code, OLD.party_size, OLD.tier, OLD.weight, OLD.leftover
    ) THEN
        PERFORM lottery_refuse('entries of a closed round');
    END IF;
    IF (NEW.state = 'active') IS DISTINCT FROM (OLD.state = 'active') AND (
        round_state = 'closed' OR NEW.state = 'active'
    ) THEN
        PERFORM lottery_refuse('which entries of a closed round take part');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION lottery_entrymember_seal() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.active AND EXISTS (
        SELECT 1 FROM lottery_entry e
        WHERE e.id = NEW.entry_id AND e.leftover AND e.round_id = NEW.round_id
            AND (SELECT count(*) FROM lottery_entrymember m WHERE m.entry_id = e.id)
                < e.party_size
    ) THEN
        RETURN NEW;
    END IF;
    IF TG_OP <> 'INSERT' AND lottery_round_is_closed(
            (SELECT round_id FROM lottery_entry WHERE id = OLD.entry_id))
        OR TG_OP <> 'DELETE' AND lottery_round_is_closed(
            (SELECT round_id FROM lottery_entry WHERE id = NEW.entry_id)) THEN
        IF TG_OP <> 'UPDATE' OR (
            NEW.entry_id, NEW.round_id, NEW.person_id, NEW.id_hash, NEW.role, NEW.position,
            NEW.guardian_declared_at
        ) IS DISTINCT FROM (
            OLD.entry_id, OLD.round_id, OLD.person_id, OLD.id_hash, OLD.role, OLD.position,
            OLD.guardian_declared_at
        ) OR NEW.active AND NOT OLD.active THEN
            PERFORM lottery_refuse('the party of entries of a closed round');
        END IF;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION lottery_entry_part_seal() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND EXISTS (
        SELECT 1 FROM lottery_entry e
        WHERE e.id = NEW.entry_id AND e.leftover
            AND NOT EXISTS (SELECT 1 FROM lottery_entrychoice c WHERE c.entry_id = e.id)
    ) THEN
        RETURN NEW;
    END IF;
    IF TG_OP <> 'INSERT' AND lottery_round_is_closed(
            (SELECT round_id FROM lottery_entry WHERE id = OLD.entry_id))
        OR TG_OP <> 'DELETE' AND lottery_round_is_closed(
            (SELECT round_id FROM lottery_entry WHERE id = NEW.entry_id)) THEN
        PERFORM lottery_refuse('the choices and party of entries of a closed round');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
"""

# Back to 0008's functions (the column goes after, by the AddField's reverse).
UNSEAL = """
CREATE OR REPLACE FUNCTION lottery_entry_seal() RETURNS trigger AS $$
DECLARE
    round_state text;
BEGIN
    SELECT state INTO round_state FROM lottery_round
        WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.round_id ELSE OLD.round_id END;
    IF COALESCE(round_state NOT IN ('closed', 'drawn'), true) THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP <> 'UPDATE' OR (
        NEW.round_id, NEW.code, NEW.party_size, NEW.tier, NEW.weight
    ) IS DISTINCT FROM (
        OLD.round_id, OLD.code, OLD.party_size, OLD.tier, OLD.weight
    ) THEN
        PERFORM lottery_refuse('entries of a closed round');
    END IF;
    IF (NEW.state = 'active') IS DISTINCT FROM (OLD.state = 'active') AND (
        round_state = 'closed' OR NEW.state = 'active'
    ) THEN
        PERFORM lottery_refuse('which entries of a closed round take part');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION lottery_entrymember_seal() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND lottery_round_is_closed(
            (SELECT round_id FROM lottery_entry WHERE id = OLD.entry_id))
        OR TG_OP <> 'DELETE' AND lottery_round_is_closed(
            (SELECT round_id FROM lottery_entry WHERE id = NEW.entry_id)) THEN
        IF TG_OP <> 'UPDATE' OR (
            NEW.entry_id, NEW.round_id, NEW.person_id, NEW.id_hash, NEW.role, NEW.position,
            NEW.guardian_declared_at
        ) IS DISTINCT FROM (
            OLD.entry_id, OLD.round_id, OLD.person_id, OLD.id_hash, OLD.role, OLD.position,
            OLD.guardian_declared_at
        ) OR NEW.active AND NOT OLD.active THEN
            PERFORM lottery_refuse('the party of entries of a closed round');
        END IF;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION lottery_entry_part_seal() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND lottery_round_is_closed(
            (SELECT round_id FROM lottery_entry WHERE id = OLD.entry_id))
        OR TG_OP <> 'DELETE' AND lottery_round_is_closed(
            (SELECT round_id FROM lottery_entry WHERE id = NEW.entry_id)) THEN
        PERFORM lottery_refuse('the choices and party of entries of a closed round');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEALS)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNSEAL)


class Migration(migrations.Migration):
    dependencies = [("lottery", "0008_seal_what_the_draw_reads_fixc")]
    operations = [
        migrations.AddField(
            model_name="entry",
            name="leftover",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(forwards, backwards),
    ]
