-- +goose Up
-- Search that finds what people type (issue 13): the type's name and abbreviation
-- ("quyet dinh", "QĐ"), the full number and symbol with or without the slash
-- ("02/UBND-TCKH", "02 UBND-TCKH"), and the names of the document's files. The
-- default parser reads "02/ubnd-tckh" as one file-path token, which neither "02" nor
-- the symbol alone would match; every '/' is read as a space on both sides (the query
-- side is docs.searchText), so a number and symbol become a phrase of syllables.
-- File names are kept on the document by a trigger because a generated column reads
-- its own row only.

-- +goose StatementBegin
CREATE FUNCTION docs_type_label(type text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE type
        WHEN 'nghi_quyet' THEN 'Nghị quyết NQ'
        WHEN 'quyet_dinh' THEN 'Quyết định QĐ'
        WHEN 'chi_thi' THEN 'Chỉ thị CT'
        WHEN 'quy_che' THEN 'Quy chế QC'
        WHEN 'quy_dinh' THEN 'Quy định QyĐ'
        WHEN 'thong_cao' THEN 'Thông cáo TC'
        WHEN 'thong_bao' THEN 'Thông báo TB'
        WHEN 'huong_dan' THEN 'Hướng dẫn HD'
        WHEN 'chuong_trinh' THEN 'Chương trình CTr'
        WHEN 'ke_hoach' THEN 'Kế hoạch KH'
        WHEN 'phuong_an' THEN 'Phương án PA'
        WHEN 'de_an' THEN 'Đề án ĐA'
        WHEN 'du_an' THEN 'Dự án DA'
        WHEN 'bao_cao' THEN 'Báo cáo BC'
        WHEN 'bien_ban' THEN 'Biên bản BB'
        WHEN 'to_trinh' THEN 'Tờ trình TTr'
        WHEN 'hop_dong' THEN 'Hợp đồng HĐ'
        WHEN 'cong_van' THEN 'Công văn'
        WHEN 'cong_dien' THEN 'Công điện CĐ'
        WHEN 'ban_ghi_nho' THEN 'Bản ghi nhớ BGN'
        WHEN 'ban_thoa_thuan' THEN 'Bản thỏa thuận BTT'
        WHEN 'giay_uy_quyen' THEN 'Giấy ủy quyền GUQ'
        WHEN 'giay_moi' THEN 'Giấy mời GM'
        WHEN 'giay_gioi_thieu' THEN 'Giấy giới thiệu GGT'
        WHEN 'giay_nghi_phep' THEN 'Giấy nghỉ phép GNP'
        WHEN 'phieu_gui' THEN 'Phiếu gửi PG'
        WHEN 'phieu_chuyen' THEN 'Phiếu chuyển PC'
        WHEN 'phieu_bao' THEN 'Phiếu báo PB'
        WHEN 'thu_cong' THEN 'Thư công'
        ELSE '' END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION docs_search_words(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN translate(docs_unaccent($1), '/', ' ');
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION docs_search_vector(type text, number text, notation text, subject text, issuer text, signer text,
        places text[], file_names text, content text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('simple', docs_search_words(docs_type_label(type) || ' ' || number || ' ' || notation
            || ' ' || subject)), 'A') ||
        setweight(to_tsvector('simple', docs_search_words(issuer || ' ' || signer || ' ' || array_to_string(places, ' ')
            || ' ' || translate(file_names, '._-', '   '))), 'B') ||
        setweight(to_tsvector('simple', docs_search_words(left(content, 200000))), 'C');
-- +goose StatementEnd

ALTER TABLE documents ADD COLUMN file_names text NOT NULL DEFAULT '';
UPDATE documents d SET file_names = f.names
FROM (SELECT document_id, string_agg(file_name, ' ' ORDER BY id) AS names FROM document_files
      WHERE kind <> 'rendition' GROUP BY document_id) f
WHERE f.document_id = d.id;

-- +goose StatementBegin
CREATE FUNCTION docs_refresh_file_names() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE documents d SET file_names = coalesce((SELECT string_agg(f.file_name, ' ' ORDER BY f.id)
            FROM document_files f WHERE f.document_id = d.id AND f.kind <> 'rendition'), '')
        WHERE d.id = coalesce(NEW.document_id, OLD.document_id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER document_files_names AFTER INSERT OR DELETE OR UPDATE OF file_name, kind ON document_files
    FOR EACH ROW EXECUTE FUNCTION docs_refresh_file_names();

ALTER TABLE documents DROP COLUMN search;
ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    docs_search_vector(type, code_number, code_notation, subject, issuer_name, signer_name, to_places, file_names, content)
) STORED;
CREATE INDEX documents_agency_search_idx ON documents USING gin (agency_id, search);
DROP FUNCTION docs_search_vector(text, text, text, text, text, text[], text);

-- +goose Down
ALTER TABLE documents DROP COLUMN search;
DROP TRIGGER document_files_names ON document_files;
DROP FUNCTION docs_refresh_file_names();
ALTER TABLE documents DROP COLUMN file_names;
DROP FUNCTION docs_search_vector(text, text, text, text, text, text, text[], text, text);
DROP FUNCTION docs_search_words(text);
DROP FUNCTION docs_type_label(text);
-- +goose StatementBegin
CREATE FUNCTION docs_search_vector(number text, notation text, subject text, issuer text, signer text,
        places text[], content text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('simple', docs_unaccent(number || ' ' || notation || ' ' || subject)), 'A') ||
        setweight(to_tsvector('simple', docs_unaccent(issuer || ' ' || signer || ' ' || array_to_string(places, ' '))), 'B') ||
        setweight(to_tsvector('simple', docs_unaccent(left(content, 200000))), 'C');
-- +goose StatementEnd
ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    docs_search_vector(code_number, code_notation, subject, issuer_name, signer_name, to_places, content)
) STORED;
CREATE INDEX documents_agency_search_idx ON documents USING gin (agency_id, search);
