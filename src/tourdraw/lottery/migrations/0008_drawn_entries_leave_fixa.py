from django.db import migrations

# Once a round is drawn its entries have done their part as inputs: the draw
# read them and its record is published. What happens to an entry after that
# belongs to the waitlist, which 0006_sealed_inputs_i12b leaves open but its
# entry triggers did not: a visitor deleting their account leaves the waitlist
# (people.rights, lottery.entries.leave_waitlist) and the call centre voids a
# squatter's entry and takes its party off the gate list (visits.disputes).
# Both are one way, active to withdrawn and member active to inactive, and only
# in a drawn round: between close and draw the entries are still the draw's
# inputs, and nothing else about an entry or its party may change at all.
SEALS = """
CREATE OR REPLACE FUNCTION lottery_round_is_drawn(round_id bigint) RETURNS boolean AS $$
    SELECT EXISTS (SELECT 1 FROM lottery_round WHERE id = round_id AND state = 'drawn');
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION lottery_entry_seal() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF lottery_round_is_closed(NEW.round_id) THEN
            PERFORM lottery_refuse('entries of a closed round');
        END IF;
        RETURN NEW;
    END IF;
    IF lottery_round_is_closed(OLD.round_id) AND (
        TG_OP = 'DELETE' OR (
            NEW.round_id, NEW.code, NEW.party_size, NEW.tier, NEW.weight
        ) IS DISTINCT FROM (
            OLD.round_id, OLD.code, OLD.party_size, OLD.tier, OLD.weight
        ) OR (
            (NEW.state = 'active') IS DISTINCT FROM (OLD.state = 'active')
            AND NOT (
                OLD.state = 'active' AND NEW.state = 'withdrawn'
                AND lottery_round_is_drawn(OLD.round_id)
            )
        )
    ) THEN
        PERFORM lottery_refuse('entries of a closed round');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION lottery_entry_part_seal() RETURNS trigger AS $$
BEGIN
    -- Nested, as lottery_entrychoice has no "active" to read.
    IF TG_TABLE_NAME = 'lottery_entrymember' AND TG_OP = 'UPDATE' THEN
        IF OLD.active AND NOT NEW.active
            AND to_jsonb(NEW) - 'active' = to_jsonb(OLD) - 'active'
            AND lottery_round_is_drawn(
                (SELECT round_id FROM lottery_entry WHERE id = OLD.entry_id))
        THEN
            RETURN NEW;
        END IF;
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

# Back to the functions as 0006_sealed_inputs_i12b made them.
UNSEAL = """
CREATE OR REPLACE FUNCTION lottery_entry_seal() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF lottery_round_is_closed(NEW.round_id) THEN
            PERFORM lottery_refuse('entries of a closed round');
        END IF;
        RETURN NEW;
    END IF;
    IF lottery_round_is_closed(OLD.round_id) AND (
        TG_OP = 'DELETE' OR (
            NEW.round_id, NEW.code, NEW.party_size, NEW.tier, NEW.weight,
            NEW.state = 'active'
        ) IS DISTINCT FROM (
            OLD.round_id, OLD.code, OLD.party_size, OLD.tier, OLD.weight,
            OLD.state = 'active'
        )
    ) THEN
        PERFORM lottery_refuse('entries of a closed round');
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

DROP FUNCTION IF EXISTS lottery_round_is_drawn(bigint);
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEALS)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNSEAL)


class Migration(migrations.Migration):
    dependencies = [("lottery", "0007_merge_0005_i13_guardian_0006_sealed_inputs_i12b")]
    operations = [migrations.RunPython(forwards, backwards)]
