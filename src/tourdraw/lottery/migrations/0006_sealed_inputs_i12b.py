from django.db import migrations

# On PostgreSQL the database itself keeps a round's published inputs as they
# were published, whoever holds the application's account: what the opening
# statement fixed cannot change once the round opens, and what the closing
# statement pins (entries, choices, party members, each slot's capacity and the
# places groups keep in it, the draw time) cannot change once it closes. The
# services refuse all of this first, with a clear message; these triggers stop
# raw SQL and anything that goes round the services. Writes the draw and the
# waitlist make later (outcomes, offers, tickets, the state moving on, the
# beacon filled in once) are not inputs and stay allowed.
SEALS = """
CREATE FUNCTION lottery_round_is_closed(round_id bigint) RETURNS boolean AS $$
    SELECT EXISTS (
        SELECT 1 FROM lottery_round WHERE id = round_id AND state IN ('closed', 'drawn')
    );
$$ LANGUAGE sql STABLE;

CREATE FUNCTION lottery_slot_is_sealed(slot bigint) RETURNS boolean AS $$
    SELECT EXISTS (
        SELECT 1 FROM lottery_roundslot rs JOIN lottery_round r ON r.id = rs.round_id
        WHERE rs.slot_id = slot AND r.state IN ('closed', 'drawn')
    );
$$ LANGUAGE sql STABLE;

CREATE FUNCTION lottery_refuse(what text) RETURNS void AS $$
BEGIN
    RAISE EXCEPTION 'sealed: %%', what USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION lottery_round_seal() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'scheduled' THEN
            PERFORM lottery_refuse('a round that has opened is never deleted');
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state <> 'scheduled' AND (
        NEW.code, NEW.opens_at, NEW.closes_at, NEW.priority, NEW.repeat_weight_days,
        NEW.repeat_weight_cap, NEW.commitment, NEW.opening_statement, NEW.beacon_chain::text,
        NEW.beacon_round, NEW.beacon, NEW.opened_at
    ) IS DISTINCT FROM (
        OLD.code, OLD.opens_at, OLD.closes_at, OLD.priority, OLD.repeat_weight_days,
        OLD.repeat_weight_cap, OLD.commitment, OLD.opening_statement, OLD.beacon_chain::text,
        OLD.beacon_round, OLD.beacon, OLD.opened_at
    ) THEN
        PERFORM lottery_refuse('what the opening statement fixed (round ' || OLD.code || ')');
    END IF;
    IF OLD.state IN ('closed', 'drawn') THEN
        IF (
            NEW.draws_at, NEW.closed_at, NEW.closing_statement, NEW.closing_digest,
            NEW.frozen_digest, NEW.frozen_entries
        ) IS DISTINCT FROM (
            OLD.draws_at, OLD.closed_at, OLD.closing_statement, OLD.closing_digest,
            OLD.frozen_digest, OLD.frozen_entries
        ) THEN
            PERFORM lottery_refuse('what the closing statement pinned (round ' || OLD.code || ')');
        END IF;
        IF OLD.beacon_signature <> '' AND (NEW.beacon_signature, NEW.beacon_randomness)
                IS DISTINCT FROM (OLD.beacon_signature, OLD.beacon_randomness) THEN
            PERFORM lottery_refuse('the beacon, once fetched (round ' || OLD.code || ')');
        END IF;
        IF OLD.state = 'drawn' AND NEW.state <> 'drawn' OR NEW.state IN ('scheduled', 'open') THEN
            PERFORM lottery_refuse('a closed round does not open again (round ' || OLD.code || ')');
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER lottery_round_seal BEFORE UPDATE OR DELETE ON lottery_round
    FOR EACH ROW EXECUTE FUNCTION lottery_round_seal();

CREATE FUNCTION lottery_roundslot_seal() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND lottery_round_is_closed(OLD.round_id)
            OR TG_OP <> 'DELETE' AND lottery_round_is_closed(NEW.round_id) THEN
        PERFORM lottery_refuse('the slots of a closed round');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER lottery_roundslot_seal BEFORE INSERT OR UPDATE OR DELETE ON lottery_roundslot
    FOR EACH ROW EXECUTE FUNCTION lottery_roundslot_seal();

CREATE FUNCTION catalog_slot_seal() RETURNS trigger AS $$
BEGIN
    IF NEW.capacity IS DISTINCT FROM OLD.capacity AND lottery_slot_is_sealed(OLD.id) THEN
        PERFORM lottery_refuse('the capacity of a slot whose round has closed');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER catalog_slot_seal BEFORE UPDATE ON catalog_slot
    FOR EACH ROW EXECUTE FUNCTION catalog_slot_seal();

-- An approved group keeps (slot, size) places; a change to that on a sealed
-- slot is refused, unless the session itself was cancelled (its groups are
-- then released, after the draw).
CREATE FUNCTION groups_groupvisit_seal() RETURNS trigger AS $$
DECLARE
    old_slot bigint;
    new_slot bigint;
    old_places integer := 0;
    new_places integer := 0;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.state = 'approved' THEN
        old_slot := OLD.slot_id; old_places := OLD.size;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.state = 'approved' THEN
        new_slot := NEW.slot_id; new_places := NEW.size;
    END IF;
    IF (old_slot, old_places) IS DISTINCT FROM (new_slot, new_places) AND (
        old_slot IS NOT NULL AND lottery_slot_is_sealed(old_slot) AND NOT EXISTS (
            SELECT 1 FROM catalog_slot WHERE id = old_slot AND cancelled_at IS NOT NULL)
        OR new_slot IS NOT NULL AND lottery_slot_is_sealed(new_slot)
    ) THEN
        PERFORM lottery_refuse('the places groups keep in a slot whose round has closed');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER groups_groupvisit_seal BEFORE INSERT OR UPDATE OR DELETE ON groups_groupvisit
    FOR EACH ROW EXECUTE FUNCTION groups_groupvisit_seal();

-- What the draw reads of an entry: its round, code, party size, tier, weight
-- and whether it is active. Other columns (the visitor, times) may change.
CREATE FUNCTION lottery_entry_seal() RETURNS trigger AS $$
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
CREATE TRIGGER lottery_entry_seal BEFORE INSERT OR UPDATE OR DELETE ON lottery_entry
    FOR EACH ROW EXECUTE FUNCTION lottery_entry_seal();

CREATE FUNCTION lottery_entry_part_seal() RETURNS trigger AS $$
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
CREATE TRIGGER lottery_entrychoice_seal BEFORE INSERT OR UPDATE OR DELETE ON lottery_entrychoice
    FOR EACH ROW EXECUTE FUNCTION lottery_entry_part_seal();
CREATE TRIGGER lottery_entrymember_seal BEFORE INSERT OR UPDATE OR DELETE ON lottery_entrymember
    FOR EACH ROW EXECUTE FUNCTION lottery_entry_part_seal();
"""

DROP = """
DROP TRIGGER IF EXISTS lottery_entrymember_seal ON lottery_entrymember;
DROP TRIGGER IF EXISTS lottery_entrychoice_seal ON lottery_entrychoice;
DROP FUNCTION IF EXISTS lottery_entry_part_seal();
DROP TRIGGER IF EXISTS lottery_entry_seal ON lottery_entry;
DROP FUNCTION IF EXISTS lottery_entry_seal();
DROP TRIGGER IF EXISTS groups_groupvisit_seal ON groups_groupvisit;
DROP FUNCTION IF EXISTS groups_groupvisit_seal();
DROP TRIGGER IF EXISTS catalog_slot_seal ON catalog_slot;
DROP FUNCTION IF EXISTS catalog_slot_seal();
DROP TRIGGER IF EXISTS lottery_roundslot_seal ON lottery_roundslot;
DROP FUNCTION IF EXISTS lottery_roundslot_seal();
DROP TRIGGER IF EXISTS lottery_round_seal ON lottery_round;
DROP FUNCTION IF EXISTS lottery_round_seal();
DROP FUNCTION IF EXISTS lottery_refuse(text);
DROP FUNCTION IF EXISTS lottery_slot_is_sealed(bigint);
DROP FUNCTION IF EXISTS lottery_round_is_closed(bigint);
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEALS)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("lottery", "0005_round_statements_i12b"),
        ("catalog", "0004_slot_cancellation"),
        ("groups", "0001_initial"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
