from django.db import migrations

# 0006_sealed_inputs_i12b sealed every column of a closed round's party members
# and every entry's state for good, which also refused the writes the privacy and
# identity rules need once the draw has run: an account deleted after the draw
# leaves the waitlist, a squatter's entries are voided when the call centre moves
# the document to its holder (the entry withdrawn, its party let go). These
# triggers seal exactly what the draw reads and what the closing statement pins:
#
# - an entry's round, code, party size, tier and weight, from close on, for good
#   (the published record and the receipts name them);
# - whether an entry is active, from close to the draw; after the draw an entry
#   may only leave (active to withdrawn), never come back into the waitlist;
# - its choices, from close on, for good;
# - its party members: none added or removed, none moved to another person,
#   entry, round, position or role; a member may only be let go (active to
#   inactive). The draw does not read members; who they are stays pinned.
#
# Personal data lives in people_person, which these triggers never guarded.
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

CREATE FUNCTION lottery_entrymember_seal() RETURNS trigger AS $$
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
DROP TRIGGER lottery_entrymember_seal ON lottery_entrymember;
CREATE TRIGGER lottery_entrymember_seal BEFORE INSERT OR UPDATE OR DELETE ON lottery_entrymember
    FOR EACH ROW EXECUTE FUNCTION lottery_entrymember_seal();
"""

# Back to 0006's triggers.
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
DROP TRIGGER lottery_entrymember_seal ON lottery_entrymember;
DROP FUNCTION lottery_entrymember_seal();
CREATE TRIGGER lottery_entrymember_seal BEFORE INSERT OR UPDATE OR DELETE ON lottery_entrymember
    FOR EACH ROW EXECUTE FUNCTION lottery_entry_part_seal();
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
