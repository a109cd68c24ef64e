{#-
    Fails when the model does not have as many rows as another relation (optionally filtered):
    used to prove that no row is lost between layers.
-#}
{% test row_count_equals(model, compare_model, compare_filter='true') %}
    with

    model_rows as (
        select count(*) as row_count
        from {{ model }}
    ),

    compare_rows as (
        select count(*) as row_count
        from {{ compare_model }}
        where {{ compare_filter }}
    )

    select
        model_rows.row_count as model_row_count,
        compare_rows.row_count as compare_row_count
    from model_rows
    cross join compare_rows
    where model_rows.row_count != compare_rows.row_count
{% endtest %}
